/* integration-http-config: configuration errors of the HTTPS/WSS listener
 * exit 2 with "FILE:LINE: ..." before anything starts (issue 9). A
 * certificate or key that cannot be read (finding 12) names the file and why,
 * instead of exiting 1 with "cannot listen" once lws has failed; per-address
 * connection limits (finding 11) that would let one address take every slot
 * are refused. Runs the real binary on configs written here. */
#include <glib/gstdio.h>
#include <string.h>

#include "http_common.h"

typedef struct {
    const char *name;
    gboolean generate;
    const char *cert; /* "missing", "dir" or "file" */
    const char *key;
    const char *want;  /* in stderr after "consultd.conf:LINE: " */
    guint line;        /* of the offending setting in the config below */
    const char *extra; /* more server settings, from line 8 */
} Case;

static const Case cases[] = {
    {"cert-missing", FALSE, "missing", "file", "server.cert_file", 5, NULL},
    {"key-missing", FALSE, "file", "missing", "server.key_file", 6, NULL},
    {"cert-is-directory", TRUE, "dir", "file", "server.cert_file", 5, NULL},
    {"key-is-directory", FALSE, "file", "dir", "server.key_file", 6, NULL},
    {"per-address-over-max", TRUE, "missing", "missing",
     "server.max_connections_per_address (300) must not be greater than server.max_connections "
     "(256)",
     8, "  max_connections_per_address = 300;\n"},
    {"handshakes-over-per-address", TRUE, "missing", "missing",
     "server.max_handshakes_per_address (9) must not be greater than "
     "server.max_connections_per_address (8)",
     9, "  max_connections_per_address = 8;\n  max_handshakes_per_address = 9;\n"},
    {"handshake-timeout-range", TRUE, "missing", "missing",
     "server.handshake_timeout_s must be an integer from 1 to 60, got 0", 8,
     "  handshake_timeout_s = 0;\n"},
};

static char *make_path(const char *dir, const char *name, const char *kind)
{
    char *path = g_build_filename(dir, name, NULL);
    if (g_str_equal(kind, "dir"))
        g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
    else if (g_str_equal(kind, "file"))
        g_assert_true(g_file_set_contents(path, "not checked here\n", -1, NULL));
    return path;
}

static void run_case(gconstpointer data)
{
    const Case *c = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("consultd-cert-XXXXXX", &error);
    g_assert_no_error(error);
    g_autofree char *cert = make_path(dir, "cert.pem", c->cert);
    g_autofree char *key = make_path(dir, "key.pem", c->key);
    g_autofree char *conf = g_build_filename(dir, "consultd.conf", NULL);
    g_autofree char *text =
        g_strdup_printf("server: {\n"                         /* 1 */
                        "  listen_address = \"127.0.0.1\";\n" /* 2 */
                        "  port = 0;\n"                       /* 3 */
                        "  generate_certificate = %s;\n"      /* 4 */
                        "  cert_file = \"%s\";\n"             /* 5 */
                        "  key_file = \"%s\";\n"              /* 6 */
                        "  web_root = \"%s\";\n"              /* 7 */
                        "%s"
                        "};\n"
                        "store: { path = \"%s/consultd.db\"; };\n"
                        "tenants: { list = ( { id = \"t\"; name = \"T\"; api_key_file = \"%s/k\";\n"
                        "                      secret_file = \"%s/s\"; } ); };\n",
                        c->generate ? "true" : "false", cert, key, g_getenv("CG_WEB_ROOT"),
                        c->extra ? c->extra : "", dir, dir, dir);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    const char *argv[] = {"timeout", "20", g_getenv("CG_CONSULTD"), "-c", conf, NULL};
    g_autofree char *err = NULL;
    int wait_status = 0;
    g_assert_true(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               &err, &wait_status, &error));
    g_assert_no_error(error);
    g_test_message("%s: exit %d: %s", c->name, WEXITSTATUS(wait_status), err);
    g_assert_true(WIFEXITED(wait_status));
    g_assert_cmpint(WEXITSTATUS(wait_status), ==, 2);
    g_autofree char *want = g_strdup_printf("consultd.conf:%u: %s", c->line, c->want);
    if (!strstr(err, want))
        g_error("%s: want \"%s\" in: %s", c->name, want, err);
    if (!c->extra)
        g_assert_nonnull(strstr(err, g_str_equal(c->want, "server.cert_file") ? cert : key));
    g_assert_null(strstr(err, "cannot listen"));
    g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
    g_assert_true(g_spawn_command_line_sync(rm, NULL, NULL, NULL, NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/http/config/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], run_case);
    }
    return g_test_run();
}
