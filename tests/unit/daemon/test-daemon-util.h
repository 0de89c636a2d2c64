/* test-daemon-util.h — the test groups of test-daemon-util (one per module of
 * daemon/ support code) and helpers they share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void cg_test_add_log_tests(void);
void cg_test_add_notify_tests(void);
void cg_test_add_first_start_tests(void);
void cg_test_add_speaker_tests(void);

/* Creates a fresh temporary directory; (transfer full). */
char *cg_test_make_tmpdir(void);
/* Removes @path and everything under it. */
void cg_test_rm_rf(const char *path);

G_END_DECLS
