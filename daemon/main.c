/* consultd — the telemedicine video-consult gateway daemon.
 *
 * Start-up order: config (exit 2 on any error), logging, first-start files
 * (certificate, tenant keys), GStreamer, then the session (media + signaling)
 * on one GLib main loop; READY=1 once listening. SIGTERM/SIGINT: goodbye to
 * every endpoint, then exit 0 within server.shutdown_timeout_s. */
#include <glib-unix.h>
#include <gst/gst.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit.h"
#include "audit_anchor.h"
#include "first_start.h"
#include "config.h"
#include "log.h"
#include "sd_notify.h"
#include "session.h"

#define EXIT_CONFIG 2
#define TENANT_SECRET_BYTES 32
#define AUDIT_KEY_BYTES 32

typedef struct {
    GMainLoop *loop;
    CgSession *session;
    gboolean stopping;
} Daemon;

static CgConfig *load_config(const char *path, GError **error)
{
    if (path)
        return cg_config_load_file(path, error);
    return cg_config_load_string(cg_config_default_text(), "consultd.conf (embedded default)",
                                 error);
}

/* Files that a first start creates when the config allows it. */
static gboolean create_first_start_files(const CgConfig *config, GError **error)
{
    if (config->generate_certificate &&
        !cg_first_start_certificate(config->cert_file, config->key_file, error))
        return FALSE;
    for (guint i = 0; config->generate_tenant_keys && i < config->n_tenants; i++) {
        const CgTenantConfig *t = &config->tenants[i];
        if (!cg_first_start_secret_file(t->api_key_file, TENANT_SECRET_BYTES, error) ||
            !cg_first_start_secret_file(t->secret_file, TENANT_SECRET_BYTES, error))
            return FALSE;
    }
    /* Always: an audit log without its key could be rewritten unnoticed. */
    return cg_first_start_secret_file(config->audit_key_file, AUDIT_KEY_BYTES, error);
}

/* Every audit record this process appends is keyed with the key file's. */
static gboolean install_audit_key(const CgConfig *config, GError **error)
{
    g_autoptr(GBytes) key = cg_audit_read_key_file(config->audit_key_file, error);
    if (!key)
        return FALSE;
    cg_audit_set_key(key);
    return TRUE;
}

static gboolean on_stopped(gpointer data)
{
    Daemon *daemon = data;
    g_main_loop_quit(daemon->loop);
    return G_SOURCE_REMOVE;
}

static gboolean on_stop_signal(gpointer data)
{
    Daemon *daemon = data;
    if (daemon->stopping)
        return G_SOURCE_CONTINUE;
    daemon->stopping = TRUE;
    g_info("stopping: saying goodbye to every endpoint");
    cg_notify_stopping();
    cg_session_shutdown(daemon->session, on_stopped, daemon);
    return G_SOURCE_CONTINUE;
}

static int run(const CgConfig *config)
{
    g_autoptr(GError) error = NULL;
    gint64 started = g_get_monotonic_time();
    if (!create_first_start_files(config, &error)) {
        g_critical("cannot prepare first-start files: %s", error->message);
        return EXIT_FAILURE;
    }
    if (!install_audit_key(config, &error)) {
        g_critical("cannot load the audit key: %s", error->message);
        return EXIT_FAILURE;
    }
    Daemon daemon = {.loop = g_main_loop_new(NULL, FALSE)};
    daemon.session = cg_session_new(config, daemon.loop, &error);
    if (!daemon.session) {
        g_critical("cannot start: %s", error->message);
        g_main_loop_unref(daemon.loop);
        return EXIT_FAILURE;
    }
    CgAuditAnchorTimer *anchor =
        cg_audit_anchor_start(config->store_path, config->audit_anchor_interval_min, &error);
    if (!anchor) {
        g_critical("cannot start the audit anchor: %s", error->message);
        cg_session_free(daemon.session);
        g_main_loop_unref(daemon.loop);
        return EXIT_FAILURE;
    }
    guint sigterm = g_unix_signal_add(SIGTERM, on_stop_signal, &daemon);
    guint sigint = g_unix_signal_add(SIGINT, on_stop_signal, &daemon);
    guint port = cg_session_port(daemon.session);
    g_autofree char *port_text = g_strdup_printf("%u", port);
    g_autofree char *startup_ms =
        g_strdup_printf("%" G_GINT64_FORMAT, (g_get_monotonic_time() - started) / 1000);
    g_log_structured(G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "ADDRESS", config->listen_address, "PORT",
                     port_text, "STARTUP_MS", startup_ms, "MESSAGE", "listening");
    cg_notify_ready();
    cg_notify_status("listening on %s:%u", config->listen_address, port);
    cg_notify_watchdog_start(NULL);

    g_main_loop_run(daemon.loop);

    cg_notify_watchdog_stop();
    g_source_remove(sigterm);
    g_source_remove(sigint);
    cg_session_free(daemon.session);
    cg_audit_anchor_stop(anchor); /* after the session's last records */
    cg_audit_set_key(NULL);
    g_main_loop_unref(daemon.loop);
    g_info("stopped");
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    g_autofree char *config_path = NULL;
    gboolean version = FALSE;
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
         "Configuration file (default: the embedded config/consultd.conf)", "FILE"},
        {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) options = g_option_context_new("- telemedicine consult gateway");
    g_option_context_add_main_entries(options, entries, NULL);
    g_option_context_add_group(options, gst_init_get_option_group());
    g_autoptr(GError) error = NULL;
    if (!g_option_context_parse(options, &argc, &argv, &error)) {
        fprintf(stderr, "consultd: %s\n", error->message);
        return EXIT_CONFIG;
    }
    if (version) {
        printf("consultd 0.1.0\n");
        return EXIT_SUCCESS;
    }
    g_autoptr(CgConfig) config = load_config(config_path, &error);
    if (!config) {
        fprintf(stderr, "consultd: %s\n", error->message);
        return EXIT_CONFIG;
    }
    cg_log_init(config->log_level);
    gst_init(NULL, NULL);
    int status = run(config);
    gst_deinit();
    return status;
}
