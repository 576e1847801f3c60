/*
 * fuzz_import.c - fuzz target for postconf --import's reader and planner
 *
 * Each input is imported (YAML or JSON, as detected) into a fixed small
 * configuration, plainly and with --replace.  Nothing may crash, leak or
 * read out of bounds; a refused document must say why (at least one
 * error), an accepted one must give texts that read back as main.cf and
 * master.cf without a fatal problem.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/base/buf.h"
#include "cfg/base/diag.h"
#include "cfg/io/import.h"
#include "cfg/doc/maincf.h"
#include "cfg/doc/mastercf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char main_cf[] = "# fuzz\nmyhostname = mail.example.com\nbiff = no\n"
                              "mynetworks = 127.0.0.0/8\n";
static const char master_cf[] = "smtp inet n - y - - smtpd\n"
                                "submission inet n - y - - smtpd\n  -o syslog_name=x\n"
                                "local unix - n n - - local\n";

/* readable - the new texts parse back without a fatal problem */
static void readable(const struct cfg_import *imp)
{
	struct cfg_maincf *mc = NULL;
	struct cfg_mastercf *mf = NULL;

	if (imp->main_changed
	    && cfg_maincf_parse("main.cf", imp->main_new.data, imp->main_new.len, &mc, NULL) < 0)
		abort();
	if (imp->master_changed
	    && cfg_mastercf_parse("master.cf", imp->master_new.data, imp->master_new.len, &mf, NULL)
	           < 0)
		abort();
	cfg_maincf_free(mc);
	cfg_mastercf_free(mf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_buf main_old, master_old;

	cfg_buf_init(&main_old);
	cfg_buf_init(&master_old);
	cfg_buf_add(&main_old, main_cf, sizeof(main_cf) - 1);
	cfg_buf_add(&master_old, master_cf, sizeof(master_cf) - 1);
	for (unsigned flags = 0; flags <= CFG_IMPORT_REPLACE; flags += CFG_IMPORT_REPLACE) {
		struct cfg_import *imp = NULL;
		struct cfg_diags ds;
		int rc;

		cfg_diags_init(&ds);
		rc = cfg_import_plan((const char *)data, size, "fuzz", flags, "/nonexistent/fuzz",
		                     &main_old, &master_old, &imp, &ds);
		if (rc < 0 && (imp != NULL || cfg_diags_count(&ds, CFG_SEV_ERROR) == 0))
			abort();
		if (rc == 0) {
			if (imp == NULL)
				abort();
			readable(imp);
		}
		cfg_import_free(imp);
		cfg_diags_fini(&ds);
	}
	cfg_buf_fini(&main_old);
	cfg_buf_fini(&master_old);
	return 0;
}
