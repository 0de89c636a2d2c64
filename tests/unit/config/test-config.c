/* test-config.c — unit tests of config/: the shipped default, every kind of
 * error with its exact "FILE:LINE: message", and loading from a file. */
#include "config.h"

#include <glib/gstdio.h>

/* One valid tenant; placed last so the lines above it are easy to count. */
#define TENANTS                                                                                    \
    "tenants: { list = ( { id = \"a\"; name = \"A\"; api_key_file = \"a.key\";"                    \
    " secret_file = \"a.secret\"; } ); };\n"

/* ---- the shipped default ------------------------------------------------ */

static void test_default_text_is_shipped_file(void)
{
    g_autofree char *shipped = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_get_contents(CG_SHIPPED_CONF, &shipped, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(cg_config_default_text(), ==, shipped);
}

static void test_default_values(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgConfig) c =
        cg_config_load_string(cg_config_default_text(), "consultd.conf", &error);
    g_assert_no_error(error);
    g_assert_nonnull(c);
    g_assert_cmpstr(c->listen_address, ==, "127.0.0.1");
    g_assert_cmpuint(c->port, ==, 8443);
    g_assert_cmpstr(c->public_url, ==, "https://localhost:8443");
    g_assert_cmpstr(c->cert_file, ==, "var/tls/cert.pem");
    g_assert_cmpstr(c->key_file, ==, "var/tls/key.pem");
    g_assert_true(c->generate_certificate);
    g_assert_cmpstr(c->web_root, ==, "web");
    g_assert_cmpuint(c->max_connections, ==, 256);
    g_assert_cmpuint(c->max_message_bytes, ==, 65536);
    g_assert_cmpuint(c->shutdown_timeout_s, ==, 5);
    g_assert_cmpstr(c->store_path, ==, "var/consultd.db");
    g_assert_cmpuint(c->clock_skew_s, ==, 30);
    g_assert_cmpuint(c->max_token_bytes, ==, 4096);
    g_assert_cmpuint(c->token_lifetime_min, ==, 60);
    g_assert_cmpuint(c->max_auth_failures, ==, 10);
    g_assert_cmpuint(c->auth_failure_window_s, ==, 60);
    g_assert_cmpuint(c->max_participants, ==, 16);
    g_assert_cmpuint(c->open_before_min, ==, 15);
    g_assert_cmpuint(c->grace_min, ==, 15);
    g_assert_cmpuint(c->resume_grace_s, ==, 20);
    g_assert_cmpuint(c->video_bitrate_kbps, ==, 1000);
    g_assert_cmpuint(g_strv_length(c->ice_addresses), ==, 1);
    g_assert_cmpstr(c->ice_addresses[0], ==, "127.0.0.1");
    g_assert_cmpuint(c->rtp_port_min, ==, 0);
    g_assert_cmpuint(c->rtp_port_max, ==, 0);
    g_assert_null(c->stun_server);
    g_assert_true(c->generate_tenant_keys);
    g_assert_cmpuint(c->n_tenants, ==, 1);
    g_assert_cmpstr(c->tenants[0].id, ==, "demo");
    g_assert_cmpstr(c->tenants[0].name, ==, "Demo Partner Hospital");
    g_assert_cmpstr(c->tenants[0].api_key_file, ==, "var/tenants/demo.api-key");
    g_assert_cmpstr(c->tenants[0].secret_file, ==, "var/tenants/demo.secret");
    g_assert_cmpstr(c->log_level, ==, "info");
}

/* A file with only the required keys gets the shipped file's values. */
static void test_defaults_match_shipped_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgConfig) d = cg_config_load_string(cg_config_default_text(), NULL, &error);
    g_assert_no_error(error);
    g_autoptr(CgConfig) c = cg_config_load_string(TENANTS, "min.conf", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(c->listen_address, ==, d->listen_address);
    g_assert_cmpuint(c->port, ==, d->port);
    g_assert_cmpstr(c->public_url, ==, d->public_url);
    g_assert_cmpstr(c->cert_file, ==, d->cert_file);
    g_assert_cmpstr(c->key_file, ==, d->key_file);
    g_assert_cmpint(c->generate_certificate, ==, d->generate_certificate);
    g_assert_cmpstr(c->web_root, ==, d->web_root);
    g_assert_cmpuint(c->max_connections, ==, d->max_connections);
    g_assert_cmpuint(c->max_message_bytes, ==, d->max_message_bytes);
    g_assert_cmpuint(c->shutdown_timeout_s, ==, d->shutdown_timeout_s);
    g_assert_cmpstr(c->store_path, ==, d->store_path);
    g_assert_cmpuint(c->clock_skew_s, ==, d->clock_skew_s);
    g_assert_cmpuint(c->max_token_bytes, ==, d->max_token_bytes);
    g_assert_cmpuint(c->token_lifetime_min, ==, d->token_lifetime_min);
    g_assert_cmpuint(c->max_auth_failures, ==, d->max_auth_failures);
    g_assert_cmpuint(c->auth_failure_window_s, ==, d->auth_failure_window_s);
    g_assert_cmpuint(c->max_participants, ==, d->max_participants);
    g_assert_cmpuint(c->open_before_min, ==, d->open_before_min);
    g_assert_cmpuint(c->grace_min, ==, d->grace_min);
    g_assert_cmpuint(c->resume_grace_s, ==, d->resume_grace_s);
    g_assert_cmpuint(c->video_bitrate_kbps, ==, d->video_bitrate_kbps);
    g_assert_true(
        g_strv_equal((const char *const *)c->ice_addresses, (const char *const *)d->ice_addresses));
    g_assert_true(g_strv_equal((const char *const *)c->allowed_remote_networks,
                               (const char *const *)d->allowed_remote_networks));
    g_assert_true(g_strv_equal((const char *const *)c->client_stun_urls,
                               (const char *const *)d->client_stun_urls));
    g_assert_true(g_strv_equal((const char *const *)c->client_turn_urls,
                               (const char *const *)d->client_turn_urls));
    g_assert_cmpstr(c->turn_secret_file, ==, d->turn_secret_file);
    g_assert_cmpuint(c->turn_credential_ttl_s, ==, d->turn_credential_ttl_s);
    g_assert_cmpuint(c->rtp_port_min, ==, d->rtp_port_min);
    g_assert_cmpuint(c->rtp_port_max, ==, d->rtp_port_max);
    g_assert_cmpstr(c->stun_server, ==, d->stun_server);
    g_assert_cmpint(c->generate_tenant_keys, ==, d->generate_tenant_keys);
    g_assert_cmpstr(c->log_level, ==, d->log_level);
    g_assert_cmpuint(c->n_tenants, ==, 1);
    g_assert_cmpstr(c->tenants[0].id, ==, "a");
    g_assert_cmpstr(c->tenants[0].secret_file, ==, "a.secret");
}

/* ---- valid variations --------------------------------------------------- */

static void test_valid_variations(void)
{
    const char *text =
        "server: { port = 0; listen_address = \"::1\"; };\n"
        "auth: { max_token_bytes = 0x4000L; max_auth_failures = 3;\n"
        "        auth_failure_window_s = 600; };\n"
        "media: {\n"
        "  ice_addresses = [ \"127.0.0.1\", \"::1\", \"fe80::1\" ];\n"
        "  rtp_port_min = 40000; rtp_port_max = 40100;\n"
        "  stun_server = \"[::1]:3478\";\n"
        "  allowed_remote_networks = [];\n"
        "};\n"
        "consults: { video_bitrate_kbps = 0; };\n"
        "log: { level = \"debug\"; };\n"
        "tenants: { generate_keys = false; list = (\n"
        "  { id = \"a-1\"; name = \"A\"; api_key_file = \"a\"; secret_file = \"b\"; },\n"
        "  { id = \"b\"; name = \"B\"; api_key_file = \"c\"; secret_file = \"d\"; }\n"
        "); };\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(CgConfig) c = cg_config_load_string(text, "v.conf", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(c->port, ==, 0);
    g_assert_cmpstr(c->listen_address, ==, "::1");
    g_assert_cmpuint(c->max_token_bytes, ==, 16384);
    g_assert_cmpuint(c->max_auth_failures, ==, 3);
    g_assert_cmpuint(c->auth_failure_window_s, ==, 600);
    g_assert_cmpuint(g_strv_length(c->ice_addresses), ==, 3);
    g_assert_cmpstr(c->ice_addresses[2], ==, "fe80::1");
    g_assert_cmpuint(g_strv_length(c->allowed_remote_networks), ==, 0); /* public only */
    g_assert_cmpuint(c->rtp_port_min, ==, 40000);
    g_assert_cmpuint(c->rtp_port_max, ==, 40100);
    g_assert_cmpstr(c->stun_server, ==, "[::1]:3478");
    g_assert_cmpstr(c->log_level, ==, "debug");
    g_assert_cmpuint(c->video_bitrate_kbps, ==, 0); /* no cap */
    g_assert_false(c->generate_tenant_keys);
    g_assert_cmpuint(c->n_tenants, ==, 2);
    g_assert_cmpstr(c->tenants[0].id, ==, "a-1");
    g_assert_cmpstr(c->tenants[1].name, ==, "B");
    g_assert_cmpstr(c->tenants[1].secret_file, ==, "d");
}

/* The cap's range is 0 (off) or 64..10000: both ends load. */
static void test_video_bitrate_bounds(void)
{
    static const guint valid[] = {0, 64, 1000, 10000};
    for (gsize i = 0; i < G_N_ELEMENTS(valid); i++) {
        g_autofree char *text =
            g_strdup_printf("consults: { video_bitrate_kbps = %u; };\n" TENANTS, valid[i]);
        g_autoptr(GError) error = NULL;
        g_autoptr(CgConfig) c = cg_config_load_string(text, "b.conf", &error);
        g_assert_no_error(error);
        g_assert_cmpuint(c->video_bitrate_kbps, ==, valid[i]);
    }
}

/* ---- errors: exact code and "FILE:LINE: message" ------------------------ */

typedef struct {
    const char *name;
    const char *text;
    CgConfigError code;
    const char *message;
} ErrorCase;

static const ErrorCase error_cases[] = {
    {"unknown-top-level", "log: { level = \"info\"; };\nbogus = 1;\n" TENANTS,
     CG_CONFIG_ERROR_INVALID, "x.conf:2: unknown key 'bogus'"},
    {"unknown-group-suggest", "\nsever: { port = 1; };\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:2: unknown key 'sever' (did you mean 'server'?)"},
    {"unknown-nested", "server: {\n  port = 1;\n  prot = 8443;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID, "x.conf:3: unknown key 'server.prot' (did you mean 'port'?)"},
    {"unknown-nested-other-group", "store: {\n  port = 8443;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID, "x.conf:2: unknown key 'store.port' (did you mean 'server.port'?)"},
    {"unknown-in-tenant",
     "tenants: { list = (\n"
     "  { id = \"a\"; name = \"A\"; api_key_file = \"k\"; secret_file = \"s\"; },\n"
     "  { id = \"b\"; name = \"B\"; api_key_file = \"k\"; secret_file = \"s\";\n"
     "    colour = \"red\"; }\n"
     "); };\n",
     CG_CONFIG_ERROR_INVALID, "x.conf:4: unknown key 'tenants.list[1].colour'"},
    {"removed-key", "media: {\n  ice_tcp = true;\n  relay = \"webrtcbin\";\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:3: media.relay was removed: consultd has one relay now; delete the line"},
    {"wrong-type-int", "\n\nserver: { port = \"8443\"; };\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:3: server.port must be an integer, got a string"},
    {"wrong-type-float", "auth: {\n  clock_skew_s = 1.5;\n};\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:2: auth.clock_skew_s must be an integer, got a float"},
    {"wrong-type-bool", "server: {\n  generate_certificate = \"yes\";\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: server.generate_certificate must be a boolean (true or false), got a string"},
    {"wrong-type-string", "log: {\n  level = 3;\n};\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:2: log.level must be a string, got an integer"},
    {"wrong-type-group", "server = 5;\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:1: server must be a group { ... }, got an integer"},
    {"wrong-type-array", "media: {\n  ice_addresses = \"127.0.0.1\";\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: media.ice_addresses must be an array of strings, got a string"},
    {"bad-turn-url",
     "media: {\n  client_turn_urls = [ \"http://turn.example.org\" ];\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: media.client_turn_urls[0] must be a URL such as \"turn:turn.example.org:3478\", "
     "got 'http://turn.example.org'"},
    {"bad-network",
     "media: {\n  allowed_remote_networks = [ \"10.0.0.0/8\", \"lan\" ];\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: media.allowed_remote_networks[1] must be a network such as \"10.0.0.0/8\", got "
     "'lan'"},
    {"wrong-type-list", "tenants: {\n  list = { id = \"a\"; };\n};\n", CG_CONFIG_ERROR_INVALID,
     "x.conf:2: tenants.list must be a list of groups ( {...}, ... ), got a group"},
    {"wrong-type-list-entry", "tenants: {\n  list = ( \"a\" );\n};\n", CG_CONFIG_ERROR_INVALID,
     "x.conf:2: tenants.list[0] must be a group, got a string"},
    {"out-of-range-high", "server: {\n\n\n\n\n\n  port = 70000;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:7: server.port must be an integer from 0 to 65535, got 70000"},
    {"auth-failures-zero", "auth: {\n  max_auth_failures = 0;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: auth.max_auth_failures must be an integer from 1 to 100000, got 0"},
    {"auth-window-too-long", "auth: {\n  auth_failure_window_s = 86401;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: auth.auth_failure_window_s must be an integer from 1 to 86400, got 86401"},
    {"out-of-range-negative", "server: { port = -1; };\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:1: server.port must be an integer from 0 to 65535, got -1"},
    {"out-of-range-low", "consults: {\n  max_participants = 1;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: consults.max_participants must be an integer from 2 to 64, got 1"},
    {"resume-grace-over-liveness", "consults: {\n  resume_grace_s = 30;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: consults.resume_grace_s must be an integer from 0 to 29, got 30"},
    {"video-bitrate-below-range", "consults: {\n  video_bitrate_kbps = 63;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: consults.video_bitrate_kbps must be 0 (off) or an integer from 64 to 10000, got "
     "63"},
    {"video-bitrate-above-range", "consults: {\n\n  video_bitrate_kbps = 10001;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:3: consults.video_bitrate_kbps must be 0 (off) or an integer from 64 to 10000, got "
     "10001"},
    {"video-bitrate-negative", "consults: { video_bitrate_kbps = -1; };\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:1: consults.video_bitrate_kbps must be 0 (off) or an integer from 64 to 10000, got "
     "-1"},
    /* libconfig wraps this to 0, which would read as "no cap". */
    {"video-bitrate-wrapped-to-zero",
     "consults: {\n  video_bitrate_kbps = 4294967296;\n};\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:2: consults.video_bitrate_kbps must be 0 (off) or an integer from 64 to 10000, got "
     "4294967296"},
    {"video-bitrate-not-int", "consults: {\n  video_bitrate_kbps = \"1500k\";\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: consults.video_bitrate_kbps must be an integer, got a string"},
    /* libconfig 1.5 wraps this to 256, which must not slip through. */
    {"out-of-range-wrapped", "server: {\n  max_connections = 4294967552;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: server.max_connections must be an integer from 1 to 65536, got 4294967552"},
    {"out-of-range-hex", "server: {\n  max_message_bytes = 0x100000400;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: server.max_message_bytes must be an integer from 1024 to 1048576, got "
     "0x100000400"},
    {"out-of-range-huge", "server: {\n  port = 99999999999999999999999;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: server.port must be an integer from 0 to 65535, got 99999999999999999999999"},
    {"bad-ip", "server: {\n  listen_address = \"localhost\";\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: server.listen_address must be a numeric IPv4 or IPv6 address, got 'localhost'"},
    {"bad-ip-in-array",
     "media: {\n  ice_addresses = [ \"127.0.0.1\",\n    \"10.0.0.300\" ];\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:3: media.ice_addresses[1] must be a numeric IPv4 or IPv6 address, got "
     "'10.0.0.300'"},
    {"empty-array", "media: {\n  ice_addresses = [ ];\n};\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:2: media.ice_addresses must not be empty"},
    {"bad-enum", "log: {\n  level = \"verbose\";\n};\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:2: log.level must be one of \"debug\", \"info\", \"warning\", \"error\", got "
     "'verbose'"},
    {"bad-url", "server: {\n  public_url = \"http://localhost:8443\";\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: server.public_url must be a URL starting with \"https://\" and a host, got "
     "'http://localhost:8443'"},
    {"bad-stun", "media: {\n  stun_server = \"stun.example.org\";\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: media.stun_server must be \"host:port\" or \"[IPv6]:port\" with a port from 1 "
     "to 65535, or \"\" for none, got 'stun.example.org'"},
    {"empty-path", "store: {\n  path = \"\";\n};\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:2: store.path must not be empty"},
    {"rtp-reversed", "media: {\n  rtp_port_min = 50000;\n  rtp_port_max = 40000;\n};\n" TENANTS,
     CG_CONFIG_ERROR_INVALID,
     "x.conf:3: media.rtp_port_min (50000) must not be greater than media.rtp_port_max (40000)"},
    {"rtp-half-set", "media: {\n  rtp_port_min = 50000;\n};\n" TENANTS, CG_CONFIG_ERROR_INVALID,
     "x.conf:2: media.rtp_port_min and media.rtp_port_max must both be 0 (any port) or both be "
     "set, got 50000 and 0"},
    {"bad-tenant-id",
     "tenants: { list = (\n  { id = \"Demo\"; name = \"A\"; api_key_file = \"k\"; secret_file = "
     "\"s\"; }\n); };\n",
     CG_CONFIG_ERROR_INVALID,
     "x.conf:2: tenants.list[0].id must be 1 to 32 characters of a-z, 0-9 and '-', got 'Demo'"},
    {"duplicate-tenant-id",
     "tenants: { list = (\n"
     "  { id = \"a\"; name = \"A\"; api_key_file = \"k\"; secret_file = \"s\"; },\n"
     "  { id = \"b\"; name = \"B\"; api_key_file = \"k\"; secret_file = \"s\"; },\n"
     "  { name = \"C\"; api_key_file = \"k\"; secret_file = \"s\";\n"
     "    id = \"a\"; }\n"
     "); };\n",
     CG_CONFIG_ERROR_INVALID,
     "x.conf:5: tenants.list[2].id 'a' is already used by tenants.list[0]"},
    {"empty-tenant-list", "log: { level = \"info\"; };\ntenants: {\n  list = ( );\n};\n",
     CG_CONFIG_ERROR_INVALID, "x.conf:3: tenants.list must not be empty"},
    {"missing-tenants", "log: { level = \"info\"; };\n", CG_CONFIG_ERROR_INVALID,
     "x.conf:1: missing required key 'tenants.list'"},
    {"missing-tenant-list", "\ntenants: {\n  generate_keys = true;\n};\n", CG_CONFIG_ERROR_INVALID,
     "x.conf:2: missing required key 'tenants.list'"},
    {"missing-tenant-key",
     "tenants: { list = (\n  { id = \"a\"; name = \"A\"; api_key_file = \"k\"; }\n); };\n",
     CG_CONFIG_ERROR_INVALID, "x.conf:2: missing required key 'tenants.list[0].secret_file'"},
    {"syntax-error", "server: {\n  port = 8443;\n  web_root = ;\n};\n" TENANTS,
     CG_CONFIG_ERROR_SYNTAX, "x.conf:3: syntax error"},
    {"syntax-duplicate", "server: {\n  port = 1;\n  port = 2;\n};\n" TENANTS,
     CG_CONFIG_ERROR_SYNTAX, "x.conf:3: duplicate setting name"},
};

static void test_error_case(gconstpointer data)
{
    const ErrorCase *ec = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(CgConfig) c = cg_config_load_string(ec->text, "x.conf", &error);
    g_assert_null(c);
    g_assert_error(error, CG_CONFIG_ERROR, (gint)ec->code);
    g_assert_cmpstr(error->message, ==, ec->message);
}

/* ---- files on disk ------------------------------------------------------ */

static char *write_temp(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(path, text, -1, &error));
    g_assert_no_error(error);
    return path;
}

static void test_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("test-config-XXXXXX", &error);
    g_assert_no_error(error);

    g_autofree char *good = write_temp(dir, "good.conf", "server: { port = 9443; };\n" TENANTS);
    g_autoptr(CgConfig) c = cg_config_load_file(good, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(c->port, ==, 9443);

    g_autofree char *bad =
        write_temp(dir, "bad.conf", "\nserver: {\n  port = 70000;\n};\n" TENANTS);
    g_autoptr(CgConfig) b = cg_config_load_file(bad, &error);
    g_assert_null(b);
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_INVALID);
    g_autofree char *expected =
        g_strdup_printf("%s:3: server.port must be an integer from 0 to 65535, got 70000", bad);
    g_assert_cmpstr(error->message, ==, expected);
    g_clear_error(&error);

    g_autofree char *syntax = write_temp(dir, "syntax.conf", "server: {\n  port = ;\n};\n");
    g_autoptr(CgConfig) s = cg_config_load_file(syntax, &error);
    g_assert_null(s);
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_SYNTAX);
    g_autofree char *expected_syntax = g_strdup_printf("%s:2: syntax error", syntax);
    g_assert_cmpstr(error->message, ==, expected_syntax);
    g_clear_error(&error);

    g_autofree char *nul = g_build_filename(dir, "nul.conf", NULL);
    g_assert_true(g_file_set_contents(nul, "a = 1;\n\0b = 2;\n", 14, &error));
    g_assert_no_error(error);
    g_autoptr(CgConfig) n = cg_config_load_file(nul, &error);
    g_assert_null(n);
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_SYNTAX);
    g_autofree char *expected_nul = g_strdup_printf("%s:2: NUL byte in the file", nul);
    g_assert_cmpstr(error->message, ==, expected_nul);
    g_clear_error(&error);

    g_assert_cmpint(g_unlink(nul), ==, 0);
    g_assert_cmpint(g_unlink(good), ==, 0);
    g_assert_cmpint(g_unlink(bad), ==, 0);
    g_assert_cmpint(g_unlink(syntax), ==, 0);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

static void test_missing_file(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgConfig) c = cg_config_load_file("/nonexistent/consultd.conf", &error);
    g_assert_null(c);
    g_assert_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_IO);
    g_assert_true(g_str_has_prefix(error->message, "/nonexistent/consultd.conf: cannot read: "));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/default/text-is-shipped-file", test_default_text_is_shipped_file);
    g_test_add_func("/config/default/values", test_default_values);
    g_test_add_func("/config/default/defaults-match-shipped-file",
                    test_defaults_match_shipped_file);
    g_test_add_func("/config/valid-variations", test_valid_variations);
    g_test_add_func("/config/video-bitrate-bounds", test_video_bitrate_bounds);
    for (gsize i = 0; i < G_N_ELEMENTS(error_cases); i++) {
        g_autofree char *path = g_strdup_printf("/config/error/%s", error_cases[i].name);
        g_test_add_data_func(path, &error_cases[i], test_error_case);
    }
    g_test_add_func("/config/file/load-and-errors", test_file);
    g_test_add_func("/config/file/missing", test_missing_file);
    return g_test_run();
}
