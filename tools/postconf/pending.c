/*
 * pending.c - stand-ins for postconf entry points whose real code is still
 * being written (see postconf_edit.h).  They are weak symbols: the real
 * definitions replace them at link time as soon as their files exist.
 */
#include "config.h"

#include "postconf.h"
#include "postconf_edit.h"

/* not_yet - the message every stand-in gives */
static int not_yet(void)
{
	pcf_fatal("editing is not available yet");
}

__attribute__((weak)) int pcf_edit_main(const char *config_dir, int mode, char **args, int nargs,
                                        int force)
{
	(void)config_dir, (void)mode, (void)args, (void)nargs, (void)force;
	return not_yet();
}

__attribute__((weak)) int pcf_edit_master(const char *config_dir, int mode, int what, char **args,
                                          int nargs, int force)
{
	(void)config_dir, (void)mode, (void)what, (void)args, (void)nargs, (void)force;
	return not_yet();
}

__attribute__((weak)) int pcf_shell(const char *config_dir)
{
	(void)config_dir;
	return not_yet();
}

__attribute__((weak)) int pcf_explain(const char *config_dir, const char *name, const char *service,
                                      char **overrides, int noverrides)
{
	(void)config_dir, (void)name, (void)service, (void)overrides, (void)noverrides;
	return not_yet();
}

__attribute__((weak)) int pcf_diff(const char *config_dir, const char *dir2)
{
	(void)config_dir, (void)dir2;
	return not_yet();
}
