/* config-schema.c — every key consultd knows, its range and its default.
 *
 * The defaults here are the values of the shipped config/consultd.conf; the
 * unit test "defaults-match-shipped-file" fails if the two drift apart.
 */
#include "config-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- string checks: NULL if fine, else the rest of the message ---------- */

static char *got(const char *what, const char *value)
{
    g_autofree char *escaped = g_strescape(value, NULL);
    return g_strdup_printf("%s, got '%s'", what, escaped);
}

static char *check_non_empty(const char *value)
{
    return value[0] == '\0' ? g_strdup("must not be empty") : NULL;
}

static gboolean is_ip_address(const char *value)
{
    guint8 buf[16];
    return inet_pton(AF_INET, value, buf) == 1 || inet_pton(AF_INET6, value, buf) == 1;
}

static char *check_ip_address(const char *value)
{
    return is_ip_address(value) ? NULL : got("must be a numeric IPv4 or IPv6 address", value);
}

/* An ICE server URL as RFC 7064/7065 spell it: stun:, turn: or turns:. */
static char *check_ice_url(const char *value)
{
    gboolean ok = (g_str_has_prefix(value, "stun:") || g_str_has_prefix(value, "turn:") ||
                   g_str_has_prefix(value, "turns:")) &&
                  strchr(value, ':')[1] != '\0' && !strpbrk(value, " \t\r\n\"");
    return ok ? NULL : got("must be a URL such as \"turn:turn.example.org:3478\"", value);
}

/* "ADDRESS/PREFIX", e.g. "10.0.0.0/8" or "fd00::/8". */
static char *check_cidr(const char *value)
{
    g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(value, NULL);
    return mask ? NULL : got("must be a network such as \"10.0.0.0/8\"", value);
}

static char *check_https_url(const char *value)
{
    const char *host = value + strlen("https://");
    if (!g_str_has_prefix(value, "https://") || host[0] == '\0' || host[0] == '/' ||
        strpbrk(value, " \t\r\n") != NULL)
        return got("must be a URL starting with \"https://\" and a host", value);
    return NULL;
}

static gboolean parse_port(const char *text, guint64 min)
{
    guint64 port = 0;
    return text[0] != '\0' && strspn(text, "0123456789") == strlen(text) &&
           g_ascii_string_to_unsigned(text, 10, min, 65535, &port, NULL);
}

/* "host:port" or "[IPv6]:port"; "" is allowed (stored as NULL = no STUN). */
static char *check_stun_server(const char *value)
{
    gboolean ok = FALSE;
    if (value[0] == '\0')
        return NULL;
    if (value[0] == '[') {
        const char *end = strstr(value, "]:");
        if (end) {
            g_autofree char *ip = g_strndup(value + 1, end - value - 1);
            guint8 buf[16];
            ok = inet_pton(AF_INET6, ip, buf) == 1 && parse_port(end + 2, 1);
        }
    } else {
        const char *colon = strrchr(value, ':');
        if (colon && colon != value) {
            gsize host_len = colon - value;
            ok = strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789.-") == host_len &&
                 parse_port(colon + 1, 1);
        }
    }
    return ok ? NULL
              : got("must be \"host:port\" or \"[IPv6]:port\" with a port from 1 to 65535, "
                    "or \"\" for none",
                    value);
}

static char *check_log_level(const char *value)
{
    static const char *const levels[] = {"debug", "info", "warning", "error", NULL};
    return g_strv_contains(levels, value)
               ? NULL
               : got("must be one of \"debug\", \"info\", \"warning\", \"error\"", value);
}

static char *check_tenant_id(const char *value)
{
    gsize len = strlen(value);
    if (len >= 1 && len <= 32 && strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-") == len)
        return NULL;
    return got("must be 1 to 32 characters of a-z, 0-9 and '-'", value);
}

/* ---- the table ---------------------------------------------------------- */

#define OFF(field) G_STRUCT_OFFSET(CgConfig, field)
#define TOFF(field) G_STRUCT_OFFSET(CgTenantConfig, field)
#define GROUP(p)                                                                                   \
    {                                                                                              \
        .path = (p), .kind = CG_CONFIG_KEY_GROUP                                                   \
    }
#define INT(p, field, lo, hi, def)                                                                 \
    {                                                                                              \
        .path = (p), .kind = CG_CONFIG_KEY_INT, .min = (lo), .max = (hi), .default_int = (def),    \
        .offset = OFF(field)                                                                       \
    }
#define BOOL(p, field, def)                                                                        \
    {                                                                                              \
        .path = (p), .kind = CG_CONFIG_KEY_BOOL, .default_int = (def), .offset = OFF(field)        \
    }
#define STRING(p, field, def, chk)                                                                 \
    {                                                                                              \
        .path = (p), .kind = CG_CONFIG_KEY_STRING, .default_str = (def), .check = (chk),           \
        .offset = OFF(field)                                                                       \
    }
#define TENANT_STRING(p, field, chk)                                                               \
    {                                                                                              \
        .path = (p), .kind = CG_CONFIG_KEY_STRING, .required = TRUE, .check = (chk),               \
        .offset = TOFF(field)                                                                      \
    }

static const CgConfigKey schema[] = {
    GROUP("server"),
    STRING("server.listen_address", listen_address, "127.0.0.1", check_ip_address),
    INT("server.port", port, 0, 65535, 8443),
    STRING("server.public_url", public_url, "https://localhost:8443", check_https_url),
    STRING("server.cert_file", cert_file, "var/tls/cert.pem", check_non_empty),
    STRING("server.key_file", key_file, "var/tls/key.pem", check_non_empty),
    BOOL("server.generate_certificate", generate_certificate, TRUE),
    STRING("server.web_root", web_root, "web", check_non_empty),
    INT("server.max_connections", max_connections, 1, 65536, 256),
    INT("server.max_message_bytes", max_message_bytes, 1024, 1048576, 65536),
    INT("server.shutdown_timeout_s", shutdown_timeout_s, 1, 60, 5),
    /* ---- per-address connection limits (issue 9; cross checks below) ---- */
    INT("server.max_connections_per_address", max_connections_per_address, 1, 65536, 64),
    INT("server.max_handshakes_per_address", max_handshakes_per_address, 1, 65536, 16),
    INT("server.handshake_timeout_s", handshake_timeout_s, 1, 60, 10),
    /* ---- end of per-address connection limits ---- */

    GROUP("store"),
    STRING("store.path", store_path, "var/consultd.db", check_non_empty),
    /* -- audit chain key and anchor (issue 9) -- */
    STRING("store.audit_key_file", audit_key_file, "var/audit.key", check_non_empty),
    INT("store.audit_anchor_interval_min", audit_anchor_interval_min, 1, 1440, 5),
    /* -- end audit -- */

    GROUP("auth"),
    INT("auth.clock_skew_s", clock_skew_s, 0, 600, 30),
    INT("auth.max_token_bytes", max_token_bytes, 256, 16384, 4096),
    INT("auth.token_lifetime_min", token_lifetime_min, 1, 10080, 60),
    INT("auth.max_auth_failures", max_auth_failures, 1, 100000, 10),
    INT("auth.auth_failure_window_s", auth_failure_window_s, 1, 86400, 60),

    GROUP("consults"),
    INT("consults.max_participants", max_participants, 2, 64, 16),
    INT("consults.open_before_min", open_before_min, 0, 1440, 15),
    INT("consults.grace_min", grace_min, 0, 1440, 15),
    /* Below media's 30 s liveness timeout: beyond it, an endpoint whose media
     * dropped with its socket is removed (media_failed) before its grace ends. */
    INT("consults.resume_grace_s", resume_grace_s, 0, 29, 20),
    {.path = "consults.video_bitrate_kbps",
     .kind = CG_CONFIG_KEY_INT,
     .min = CG_VIDEO_BITRATE_MIN_KBPS,
     .max = CG_VIDEO_BITRATE_MAX_KBPS,
     .zero_is_off = TRUE,
     .default_int = 1000,
     .offset = OFF(video_bitrate_kbps)},

    GROUP("media"),
    /* The webrtcbin relay was retired (docs/performance.md, "Before"). */
    {.path = "media.relay",
     .kind = CG_CONFIG_KEY_REMOVED,
     .removed = "was removed: consultd has one relay now; delete the line"},
    {.path = "media.ice_addresses",
     .kind = CG_CONFIG_KEY_STRING_ARRAY,
     .default_str = "127.0.0.1",
     .check = check_ip_address,
     .offset = OFF(ice_addresses)},
    BOOL("media.ice_tcp", ice_tcp, TRUE),
    INT("media.rtp_port_min", rtp_port_min, 0, 65535, 0),
    INT("media.rtp_port_max", rtp_port_max, 0, 65535, 0),
    {.path = "media.stun_server",
     .kind = CG_CONFIG_KEY_STRING,
     .default_str = "",
     .empty_is_null = TRUE,
     .check = check_stun_server,
     .offset = OFF(stun_server)},
    {.path = "media.allowed_remote_networks",
     .kind = CG_CONFIG_KEY_STRING_ARRAY,
     .default_str = "127.0.0.0/8",
     .allow_empty = TRUE,
     .check = check_cidr,
     .offset = OFF(allowed_remote_networks)},
    {.path = "media.client_stun_urls",
     .kind = CG_CONFIG_KEY_STRING_ARRAY,
     .default_str = NULL,
     .allow_empty = TRUE,
     .check = check_ice_url,
     .offset = OFF(client_stun_urls)},
    {.path = "media.client_turn_urls",
     .kind = CG_CONFIG_KEY_STRING_ARRAY,
     .default_str = NULL,
     .allow_empty = TRUE,
     .check = check_ice_url,
     .offset = OFF(client_turn_urls)},
    {.path = "media.turn_secret_file",
     .kind = CG_CONFIG_KEY_STRING,
     .default_str = "",
     .empty_is_null = TRUE,
     .offset = OFF(turn_secret_file)},
    INT("media.turn_credential_ttl_s", turn_credential_ttl_s, 60, 86400, 3600),

    GROUP("tenants"),
    BOOL("tenants.generate_keys", generate_tenant_keys, TRUE),
    {.path = "tenants.list",
     .kind = CG_CONFIG_KEY_GROUP_LIST,
     .required = TRUE,
     .offset = OFF(tenants),
     .count_offset = OFF(n_tenants),
     .elem_size = sizeof(CgTenantConfig)},
    TENANT_STRING("tenants.list[].id", id, check_tenant_id),
    TENANT_STRING("tenants.list[].name", name, check_non_empty),
    TENANT_STRING("tenants.list[].api_key_file", api_key_file, check_non_empty),
    TENANT_STRING("tenants.list[].secret_file", secret_file, check_non_empty),

    GROUP("log"),
    STRING("log.level", log_level, "info", check_log_level),
};

const CgConfigKey *cg_config_schema(guint *n_keys)
{
    *n_keys = G_N_ELEMENTS(schema);
    return schema;
}

/* ---- checks across keys ------------------------------------------------- */

static config_setting_t *tenant_member(const config_t *cfg, guint index, const char *name)
{
    config_setting_t *list = config_lookup(cfg, "tenants.list");
    config_setting_t *entry = list ? config_setting_get_elem(list, index) : NULL;
    return entry ? config_setting_get_member(entry, name) : NULL;
}

static gboolean check_tenant_ids_unique(const CgConfig *config, const config_t *cfg,
                                        const char *source_name, GError **error)
{
    for (guint i = 1; i < config->n_tenants; i++) {
        for (guint j = 0; j < i; j++) {
            if (strcmp(config->tenants[i].id, config->tenants[j].id) == 0)
                return cg_config_fail_at(error, tenant_member(cfg, i, "id"), source_name,
                                         "tenants.list[%u].id '%s' is already used by "
                                         "tenants.list[%u]",
                                         i, config->tenants[i].id, j);
        }
    }
    return TRUE;
}

static gboolean check_rtp_ports(const CgConfig *config, const config_t *cfg,
                                const char *source_name, GError **error)
{
    guint lo = config->rtp_port_min, hi = config->rtp_port_max;
    config_setting_t *at = config_lookup(cfg, "media.rtp_port_max");
    if (!at)
        at = config_lookup(cfg, "media.rtp_port_min");
    if (lo == 0 && hi == 0)
        return TRUE;
    if (lo == 0 || hi == 0)
        return cg_config_fail_at(error, at, source_name,
                                 "media.rtp_port_min and media.rtp_port_max must both be 0 "
                                 "(any port) or both be set, got %u and %u",
                                 lo, hi);
    if (lo > hi)
        return cg_config_fail_at(error, at, source_name,
                                 "media.rtp_port_min (%u) must not be greater than "
                                 "media.rtp_port_max (%u)",
                                 lo, hi);
    return TRUE;
}

/* ---- per-address connection limits, TLS files (issue 9) ---------------- */

static config_setting_t *server_setting(const config_t *cfg, const char *a, const char *b)
{
    config_setting_t *at = config_lookup(cfg, a);
    if (!at && b)
        at = config_lookup(cfg, b);
    return at ? at : config_lookup(cfg, "server");
}

/* One address must never be able to take every slot. */
static gboolean check_connection_limits(const CgConfig *config, const config_t *cfg,
                                        const char *source_name, GError **error)
{
    if (config->max_connections_per_address > config->max_connections)
        return cg_config_fail_at(
            error,
            server_setting(cfg, "server.max_connections_per_address", "server.max_connections"),
            source_name,
            "server.max_connections_per_address (%u) must not be greater than "
            "server.max_connections (%u)",
            config->max_connections_per_address, config->max_connections);
    if (config->max_handshakes_per_address > config->max_connections_per_address)
        return cg_config_fail_at(error,
                                 server_setting(cfg, "server.max_handshakes_per_address",
                                                "server.max_connections_per_address"),
                                 source_name,
                                 "server.max_handshakes_per_address (%u) must not be greater "
                                 "than server.max_connections_per_address (%u)",
                                 config->max_handshakes_per_address,
                                 config->max_connections_per_address);
    return TRUE;
}

/* NULL if @path is a readable regular file, else why not. With @may_be_absent
 * a missing file is fine (generate_certificate creates it). */
static char *tls_file_problem(const char *path, gboolean may_be_absent)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0)
        return errno == ENOENT && may_be_absent ? NULL : g_strdup(g_strerror(errno));
    if (!S_ISREG(st.st_mode))
        return g_strdup("not a regular file");
    if (g_access(path, R_OK) != 0)
        return g_strdup(g_strerror(errno));
    return NULL;
}

/* The certificate and key must be readable files, unless
 * generate_certificate will create a missing pair; else lws could only say
 * "cannot listen" later. */
static gboolean check_tls_files(const CgConfig *config, const config_t *cfg,
                                const char *source_name, GError **error)
{
    const struct {
        const char *key, *path;
    } files[] = {{"server.cert_file", config->cert_file}, {"server.key_file", config->key_file}};
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *problem = tls_file_problem(files[i].path, config->generate_certificate);
        if (problem)
            return cg_config_fail_at(
                error, server_setting(cfg, files[i].key, "server.generate_certificate"),
                source_name, "%s \"%s\" cannot be read: %s%s", files[i].key, files[i].path, problem,
                config->generate_certificate ? "" : " (server.generate_certificate is false)");
    }
    return TRUE;
}

gboolean cg_config_check_cross(const CgConfig *config, const config_t *cfg, const char *source_name,
                               GError **error)
{
    return check_tenant_ids_unique(config, cfg, source_name, error) &&
           check_rtp_ports(config, cfg, source_name, error) &&
           check_connection_limits(config, cfg, source_name, error) &&
           check_tls_files(config, cfg, source_name, error);
}
