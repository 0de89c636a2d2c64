/* test-main.c — entry point of test-daemon-util (daemon/log, sd_notify, first_start,
 * active_speaker, link_quality). */
#include "log.h"
#include "test-daemon-util.h"

#include <glib/gstdio.h>

char *cg_test_make_tmpdir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("cg-daemon-test-XXXXXX", &error);
    g_assert_no_error(error);
    return dir;
}

void cg_test_rm_rf(const char *path)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
        GDir *dir = g_dir_open(path, 0, NULL);
        const char *name;
        while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            cg_test_rm_rf(child);
        }
        if (dir != NULL)
            g_dir_close(dir);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* g_test_init() makes warnings fatal; some tests check that warnings are
     * written, so only the always-fatal levels stay fatal. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    /* ...and echoes every record as a TAP comment; route records to the
     * writer under test only (quiet at "warning" unless a test captures). */
    g_log_set_default_handler(g_log_default_handler, NULL);
    cg_log_init("warning");

    cg_test_add_log_tests();
    cg_test_add_notify_tests();
    cg_test_add_first_start_tests();
    cg_test_add_speaker_tests();
    return g_test_run();
}
