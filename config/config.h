/* config.h — consultd's configuration: loading and validation.
 *
 * Reads a libconfig text (a file, or the embedded default) and checks
 * every key against one schema. An unknown key, a wrong type, a value out of
 * range or a missing required key fails with a GError whose message is
 * "FILE:LINE: what is wrong" (LINE is the line of the offending setting, or of
 * the enclosing group when a key is missing).
 *
 * One check looks beyond the text: server.cert_file and server.key_file must
 * be readable regular files (or, with server.generate_certificate, absent),
 * so that a bad path is "FILE:LINE" and exit 2, not a failure to listen.
 *
 * The loaded CgConfig is plain read-only data: owned by the caller, freed with
 * cg_config_free(). Relative paths are kept as written; they are resolved
 * against the working directory by whoever opens them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_CONFIG_ERROR (cg_config_error_quark())
GQuark cg_config_error_quark(void);

typedef enum {
    CG_CONFIG_ERROR_IO,      /* the file cannot be read */
    CG_CONFIG_ERROR_SYNTAX,  /* libconfig parse error */
    CG_CONFIG_ERROR_INVALID, /* unknown key, wrong type, out of range, missing */
} CgConfigError;

/* A video bitrate cap (consults.video_bitrate_kbps, the admin API's
 * video_bitrate_kbps) is 0 (no cap) or in this range, in kbps: below 64 VP8
 * cannot carry a moving picture at all; no webcam needs more than 10 Mbps. */
#define CG_VIDEO_BITRATE_MIN_KBPS 64
#define CG_VIDEO_BITRATE_MAX_KBPS 10000

typedef struct {
    char *id;           /* tenant id; also the JWT "iss" */
    char *name;         /* display name of the hospital */
    char *api_key_file; /* file holding the admin API key */
    char *secret_file;  /* file holding the token-signing secret */
} CgTenantConfig;

typedef struct {
    /* server */
    char *listen_address;          /* IP address to listen on */
    guint port;                    /* TLS port for HTTPS and WSS */
    char *public_url;              /* base of join links, e.g. "https://localhost:8443" */
    char *cert_file;               /* PEM certificate chain */
    char *key_file;                /* PEM private key */
    gboolean generate_certificate; /* create a self-signed localhost pair if absent */
    char *web_root;                /* directory of the web client */
    guint max_connections;         /* concurrent HTTP + WSS connections */
    guint max_message_bytes;       /* largest WSS message */
    guint shutdown_timeout_s;      /* how long SIGTERM waits for goodbyes */
    /* server: per-address connection limits (signaling/conn_limits.h) */
    guint max_connections_per_address; /* open connections of one address (IPv6: /64) */
    guint max_handshakes_per_address;  /* of them, without a complete first request */
    guint handshake_timeout_s;         /* such a connection is closed after this */

    /* store */
    char *store_path; /* SQLite database file */
    /* -- audit chain key and anchor (issue 9) -- */
    char *audit_key_file;            /* HMAC key of the audit chain; created if absent */
    guint audit_anchor_interval_min; /* log the chain's head this often (and at stop) */
    /* -- end audit -- */

    /* auth */
    guint clock_skew_s;          /* tolerance on nbf/exp */
    guint max_token_bytes;       /* tokens longer than this are refused unread */
    guint token_lifetime_min;    /* minted tokens expire this long after the consult ends */
    guint max_auth_failures;     /* failed authentications one address may make ... */
    guint auth_failure_window_s; /* ... per this many seconds before it gets 429 */

    /* consults */
    guint max_participants;   /* per consult */
    guint open_before_min;    /* joins open this long before starts_at */
    guint grace_min;          /* consult ends this long after starts_at + duration */
    guint resume_grace_s;     /* a dropped socket's seat is held this long; 0 = never */
    guint video_bitrate_kbps; /* default cap on each endpoint's published video; 0 = none */

    /* media */
    char **ice_addresses;           /* NULL-terminated; local addresses ICE may use */
    guint rtp_port_min;             /* 0 = any */
    guint rtp_port_max;             /* 0 = any */
    char *stun_server;              /* "host:port" or NULL */
    gboolean ice_tcp;               /* also offer ICE-TCP candidates */
    char **allowed_remote_networks; /* NULL-terminated CIDRs; may be empty */
    char **client_stun_urls;        /* "stun:host:port" given to endpoints; may be empty */
    char **client_turn_urls;        /* "turn:host:port?transport=udp", "turns:..."; may be empty */
    char *turn_secret_file;         /* coturn static-auth-secret; NULL = no TURN credentials */
    guint turn_credential_ttl_s;    /* lifetime of the credentials handed out per join */

    /* tenants */
    CgTenantConfig *tenants;
    guint n_tenants;
    gboolean generate_tenant_keys; /* create missing key/secret files on start */

    /* log */
    char *log_level; /* "debug", "info", "warning" or "error" */
} CgConfig;

/* Loads and validates @path. Returns (transfer full) or NULL + @error. */
CgConfig *cg_config_load_file(const char *path, GError **error);
/* Same for an in-memory text; @source_name is used as FILE in messages. */
CgConfig *cg_config_load_string(const char *text, const char *source_name, GError **error);
/* (transfer none) the shipped config/consultd.conf, compiled in. */
const char *cg_config_default_text(void);
void cg_config_free(CgConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgConfig, cg_config_free)

G_END_DECLS
