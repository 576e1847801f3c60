/* htab.c - insertion-ordered string hash table (see cfg/htab.h) */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/htab.h"
#include "cfg/base/xalloc.h"

/*
 * Entries live in an array in insertion order; an open-addressing index of
 * entry numbers (+1, 0 = empty) finds them.  Deleted entries keep their slot
 * with key == NULL until the next rebuild.
 */
struct entry {
	char *key;
	void *val;
	uint32_t hash;
};

struct cfg_htab {
	struct entry *ents;
	size_t nents; /* used entries, live or deleted */
	size_t live;
	size_t entcap;
	uint32_t *index; /* size idxcap, a power of two */
	size_t idxcap;
	int borrowed; /* keys belong to the caller: neither copied nor freed */
};

/* hash - FNV-1a */
static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static void rebuild(struct cfg_htab *h, size_t idxcap)
{
	size_t j = 0;

	/* compact away deleted entries */
	for (size_t i = 0; i < h->nents; i++)
		if (h->ents[i].key != NULL)
			h->ents[j++] = h->ents[i];
	h->nents = j;
	free(h->index);
	h->idxcap = idxcap;
	h->index = cfg_xcalloc(idxcap, sizeof(*h->index));
	for (size_t i = 0; i < h->nents; i++) {
		size_t k = h->ents[i].hash & (idxcap - 1);
		while (h->index[k] != 0)
			k = (k + 1) & (idxcap - 1);
		h->index[k] = (uint32_t)(i + 1);
	}
}

struct cfg_htab *cfg_htab_new(size_t hint)
{
	struct cfg_htab *h = cfg_xcalloc(1, sizeof(*h));
	size_t cap = 16;

	while (cap < hint * 2)
		cap *= 2;
	h->entcap = hint < 8 ? 8 : hint;
	h->ents = cfg_xcalloc(h->entcap, sizeof(*h->ents));
	rebuild(h, cap);
	return h;
}

struct cfg_htab *cfg_htab_new_borrowed(size_t hint)
{
	struct cfg_htab *h = cfg_htab_new(hint);

	h->borrowed = 1;
	return h;
}

void cfg_htab_free(struct cfg_htab *h, void (*free_val)(void *))
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nents; i++) {
		if (h->ents[i].key == NULL)
			continue;
		if (!h->borrowed)
			free(h->ents[i].key);
		if (free_val)
			free_val(h->ents[i].val);
	}
	free(h->ents);
	free(h->index);
	free(h);
}

/* find - index slot holding key, or the empty slot where it would go */
static size_t find(const struct cfg_htab *h, const char *key, uint32_t hv)
{
	size_t k = hv & (h->idxcap - 1);

	for (;;) {
		size_t e = h->index[k];
		if (e == 0)
			return k;
		if (h->ents[e - 1].key != NULL && h->ents[e - 1].hash == hv
		    && strcmp(h->ents[e - 1].key, key) == 0)
			return k;
		k = (k + 1) & (h->idxcap - 1);
	}
}

void *cfg_htab_get(const struct cfg_htab *h, const char *key)
{
	size_t e = h->index[find(h, key, hash(key))];

	return e ? h->ents[e - 1].val : NULL;
}

int cfg_htab_has(const struct cfg_htab *h, const char *key)
{
	return h->index[find(h, key, hash(key))] != 0;
}

void *cfg_htab_put(struct cfg_htab *h, const char *key, void *val)
{
	uint32_t hv = hash(key);
	size_t k = find(h, key, hv);
	size_t e = h->index[k];

	if (e != 0) {
		void *old = h->ents[e - 1].val;
		h->ents[e - 1].val = val;
		return old;
	}
	if (h->nents + 1 > h->idxcap / 2) {
		size_t cap = h->idxcap;
		if (h->live + 1 > cap / 4)
			cap *= 2;
		rebuild(h, cap);
		k = find(h, key, hv);
	}
	if (h->nents == h->entcap) {
		h->entcap = h->entcap * 2;
		h->ents = cfg_xreallocarray(h->ents, h->entcap, sizeof(*h->ents));
	}
	h->ents[h->nents].key = h->borrowed ? (char *)key : cfg_xstrdup(key);
	h->ents[h->nents].val = val;
	h->ents[h->nents].hash = hv;
	h->nents++;
	h->live++;
	h->index[k] = (uint32_t)h->nents;
	return NULL;
}

void *cfg_htab_del(struct cfg_htab *h, const char *key)
{
	size_t k = find(h, key, hash(key));
	size_t e = h->index[k];
	void *val;

	if (e == 0)
		return NULL;
	val = h->ents[e - 1].val;
	if (!h->borrowed)
		free(h->ents[e - 1].key);
	h->ents[e - 1].key = NULL;
	h->ents[e - 1].val = NULL;
	h->live--;
	/* the index slot stays occupied by a dead entry until the next rebuild */
	return val;
}

size_t cfg_htab_count(const struct cfg_htab *h)
{
	return h->live;
}

int cfg_htab_next(const struct cfg_htab *h, size_t *pos, const char **key, void **val)
{
	while (*pos < h->nents) {
		struct entry *ent = &h->ents[(*pos)++];
		if (ent->key == NULL)
			continue;
		if (key)
			*key = ent->key;
		if (val)
			*val = ent->val;
		return 1;
	}
	return 0;
}
