/* consultctl — a CLI over consultd's admin API (docs/api.md), plus an offline
 * check of the audit log's hash chain in the SQLite file.
 *
 * Global options go anywhere on the line; each command takes its own options
 * and positional arguments. Output: JSON (pretty) for create/show/mint, a
 * table for list, one sentence for cancel and audit verify. Errors go to
 * stderr as "consultctl: ..." with the exit codes of usage_text below.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "ctl_audit.h"
#include "ctl_interpretation.h"
#include "http_client.h"
#include "store.h"

enum {
    EXIT_OK = 0,
    EXIT_REFUSED = 1,  /* the server said no (4xx/5xx), or the audit chain is broken */
    EXIT_USAGE = 2,    /* bad command line, missing URL or key */
    EXIT_CONNECT = 3,  /* cannot reach the server, TLS failure, not HTTP */
    EXIT_DATABASE = 4, /* audit verify: cannot open or read the database */
};

static const char usage_text[] =
    "Usage: consultctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  consult create --kind KIND --specialty S --title T --starts-at RFC3339\n"
    "                 --duration MIN --participant PERSON [--participant ...]\n"
    "                 [--providers-wait] [--every-weeks N --count M] [--video-bitrate KBPS]\n"
    "                 [--interpretation MODE --languages TAG,TAG] [--floor-language TAG]\n"
    "                 [--floor-level DB]\n"
    "  consult update CONSULT_ID [--title T] [--specialty S] [--starts-at RFC3339]\n"
    "                 [--duration MIN] [--interpretation MODE|none] [--languages TAG,TAG]\n"
    "                 [--floor-language TAG|none] [--floor-level DB|default]\n"
    "  consult list [--from RFC3339] [--to RFC3339] [--state STATE]\n"
    "  consult show CONSULT_ID\n"
    "  consult video-bitrate CONSULT_ID KBPS|default   (at once for everyone connected)\n"
    "  consult cancel CONSULT_ID\n"
    "  participant add CONSULT_ID PERSON\n"
    "  token mint CONSULT_ID PARTICIPANT_ID\n"
    "  audit verify --db PATH [--key-file FILE] [--anchor ID:HASH]\n"
    "                                (reads the SQLite file; no server needed)\n"
    "  audit prune --db PATH --key-file FILE (--older-than-days N | --before RFC3339)\n"
    "\n"
    "Global options:\n"
    "  --url URL            consultd's base URL (or $CONSULTCTL_URL), e.g. https://host:8443\n"
    "  --api-key-file FILE  file with the tenant's API key (or the key in $CONSULTCTL_API_KEY)\n"
    "  --cacert FILE        also trust this PEM certificate (e.g. consultd's self-signed one)\n"
    "  --insecure           accept any server certificate (testing only)\n"
    "  --help               this text\n"
    "\n"
    "KIND is virtual_consult or case_conference; role is specialist, provider, patient,\n"
    "interpreter or observer; STATE is scheduled, open, live, ended or cancelled.\n"
    "PERSON is \"Name:role\", or \"Name:role:language\" or "
    "\"Name:interpreter:language:relay_from\"\n"
    "with BCP 47 tags, e.g. \"Ana Ruiz:interpreter:es\" (docs/api.md \"Interpretation\").\n"
    "MODE is consecutive or simultaneous; TAG,TAG the consult's 1..8 interpretation\n"
    "languages; --floor-language the language spoken in the consult; DB the floor's level\n"
    "under an interpreter in simultaneous mode, -40..0 (default -15). In update, MODE\n"
    "replaces the interpretation whole (give --languages again); none removes it.\n"
    "KBPS caps the video each participant publishes: 0 (no cap) or 64..10000; default\n"
    "(or no --video-bitrate) takes the server's consults.video_bitrate_kbps.\n"
    "\n"
    "Exit codes:\n"
    "  0  success (audit verify: the chain is intact)\n"
    "  1  the server refused the request (its error is printed), or the audit chain is broken\n"
    "  2  usage error: unknown command or option, missing value, no URL or API key\n"
    "  3  cannot reach the server (connection, TLS or protocol failure)\n"
    "  4  audit verify/prune: the database cannot be opened or read\n"
    "\n"
    "audit: FILE is consultd's store.audit_key_file; ID:HASH the \"anchor\" of the newest\n"
    "\"audit anchor\" line in consultd's log (journalctl -u consultd -g 'audit anchor').\n";

typedef struct {
    CgCtlServer server;
    char *api_key_file;
    GPtrArray *args; /* what is left after the global options */
} Cli;

static int usage_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, args);
    va_end(args);
    fprintf(stderr, "consultctl: %s\nTry 'consultctl --help'.\n", msg);
    return EXIT_USAGE;
}

/* ---- talking to the server ------------------------------------------------ */

static gboolean load_credentials(Cli *cli, int *rc)
{
    if (!cli->server.url)
        cli->server.url = g_strdup(g_getenv("CONSULTCTL_URL"));
    if (!cli->server.url) {
        *rc = usage_error("no server URL: pass --url or set CONSULTCTL_URL");
        return FALSE;
    }
    if (cli->api_key_file) {
        g_autoptr(GError) error = NULL;
        char *text = NULL;
        if (!g_file_get_contents(cli->api_key_file, &text, NULL, &error)) {
            *rc = usage_error("cannot read the API key file: %s", error->message);
            return FALSE;
        }
        cli->server.api_key = g_strstrip(text);
    } else {
        cli->server.api_key = g_strdup(g_getenv("CONSULTCTL_API_KEY"));
    }
    if (!cli->server.api_key || !cli->server.api_key[0] || strpbrk(cli->server.api_key, "\r\n")) {
        *rc = usage_error("no API key: pass --api-key-file or set CONSULTCTL_API_KEY");
        return FALSE;
    }
    return TRUE;
}

static void print_json(json_t *json)
{
    g_autofree char *text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "null");
}

/* Sends the request; on 2xx returns the parsed body in @out (may be NULL for
 * a non-JSON body). Otherwise prints why and returns the exit code. */
static int request(Cli *cli, const char *method, const char *path, json_t *body, json_t **out)
{
    int rc = EXIT_OK;
    if (!load_credentials(cli, &rc))
        return rc;
    g_autofree char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    g_autofree char *response = NULL;
    g_autoptr(GError) error = NULL;
    guint status = 0;
    if (!cg_ctl_request(&cli->server, method, path, text, &status, &response, &error)) {
        fprintf(stderr, "consultctl: cannot reach %s: %s\n", cli->server.url, error->message);
        return EXIT_CONNECT;
    }
    json_t *json = json_loads(response, 0, NULL);
    if (status >= 200 && status < 300) {
        *out = json;
        return EXIT_OK;
    }
    json_t *err = json_object_get(json, "error");
    const char *field = json_string_value(json_object_get(err, "field"));
    g_autofree char *named = field ? g_strdup_printf(" (field %s)", field) : g_strdup("");
    fprintf(stderr, "consultctl: %s %s: %u %s: %s%s\n", method, path, status,
            json_string_value(json_object_get(err, "code")) ?: "error",
            json_string_value(json_object_get(err, "message")) ?: response, named);
    json_decref(json);
    return EXIT_REFUSED;
}

static int request_and_print(Cli *cli, const char *method, const char *path, json_t *body)
{
    json_t *out = NULL;
    int rc = request(cli, method, path, body, &out);
    if (rc == EXIT_OK)
        print_json(out);
    json_decref(out);
    return rc;
}

/* ---- commands ------------------------------------------------------------- */

/* "--name value" options of a command, into @values (by name); positionals
 * into @positional. Flags (no value) are the names in @flags. */
static int parse_options(GPtrArray *args, guint from, const char *const *names,
                         const char *const *flags, GHashTable *values, GPtrArray *positional,
                         GPtrArray *participants)
{
    for (guint i = from; i < args->len; i++) {
        const char *a = args->pdata[i];
        if (!g_str_has_prefix(a, "--")) {
            g_ptr_array_add(positional, (gpointer)a);
            continue;
        }
        if (flags && g_strv_contains(flags, a + 2)) {
            g_hash_table_insert(values, (gpointer)(a + 2), (gpointer) "true");
            continue;
        }
        if (!names || !g_strv_contains(names, a + 2))
            return usage_error("unknown option %s", a);
        if (i + 1 >= args->len)
            return usage_error("%s needs a value", a);
        const char *value = args->pdata[++i];
        if (participants && g_str_equal(a, "--participant"))
            g_ptr_array_add(participants, (gpointer)value);
        else
            g_hash_table_insert(values, (gpointer)(a + 2), (gpointer)value);
    }
    return EXIT_OK;
}

static int add_participants(json_t *list, GPtrArray *specs)
{
    for (guint i = 0; i < specs->len; i++) {
        g_autofree char *why = NULL;
        json_t *p = ctl_participant_json(specs->pdata[i], &why);
        if (!p)
            return usage_error("%s", why);
        json_array_append_new(list, p);
    }
    return EXIT_OK;
}

/* The interpretation options of create/update into @body. */
static int add_interpretation(GHashTable *v, gboolean update, json_t *body)
{
    g_autofree char *why = NULL;
    if (!ctl_interpretation_members(v, update, body, &why))
        return usage_error("%s", why);
    return EXIT_OK;
}

static gboolean parse_uint(const char *text, guint *out)
{
    guint64 v = 0;
    if (!text || !g_ascii_string_to_unsigned(text, 10, 0, G_MAXINT, &v, NULL))
        return FALSE;
    *out = (guint)v;
    return TRUE;
}

static int build_create(GHashTable *v, GPtrArray *specs, json_t *body)
{
    static const char *const required[] = {"kind",      "specialty", "title",
                                           "starts-at", "duration",  NULL};
    for (guint i = 0; required[i]; i++)
        if (!g_hash_table_contains(v, required[i]))
            return usage_error("consult create needs --%s", required[i]);
    guint duration = 0, every = 0, count = 0;
    if (!parse_uint(g_hash_table_lookup(v, "duration"), &duration))
        return usage_error("--duration wants a number of minutes");
    json_object_set_new(body, "kind", json_string(g_hash_table_lookup(v, "kind")));
    json_object_set_new(body, "specialty", json_string(g_hash_table_lookup(v, "specialty")));
    json_object_set_new(body, "title", json_string(g_hash_table_lookup(v, "title")));
    json_object_set_new(body, "starts_at", json_string(g_hash_table_lookup(v, "starts-at")));
    json_object_set_new(body, "duration_min", json_integer(duration));
    if (g_hash_table_contains(v, "providers-wait"))
        json_object_set_new(body, "providers_wait", json_true());
    gboolean has_every = g_hash_table_contains(v, "every-weeks");
    if (has_every != g_hash_table_contains(v, "count"))
        return usage_error("--every-weeks and --count go together");
    if (has_every) {
        if (!parse_uint(g_hash_table_lookup(v, "every-weeks"), &every) ||
            !parse_uint(g_hash_table_lookup(v, "count"), &count))
            return usage_error("--every-weeks and --count want numbers");
        json_object_set_new(body, "recurrence",
                            json_pack("{s:i, s:i}", "every_weeks", every, "count", count));
    }
    if (g_hash_table_contains(v, "video-bitrate")) {
        guint kbps = 0;
        if (!parse_uint(g_hash_table_lookup(v, "video-bitrate"), &kbps))
            return usage_error("--video-bitrate wants a number of kbps");
        json_object_set_new(body, "video_bitrate_kbps", json_integer(kbps));
    }
    int rc = add_interpretation(v, FALSE, body);
    if (rc != EXIT_OK)
        return rc;
    json_t *list = json_array();
    json_object_set_new(body, "participants", list);
    if (specs->len == 0)
        return usage_error("consult create needs at least one --participant \"Name:role\"");
    return add_participants(list, specs);
}

static int cmd_consult_create(Cli *cli)
{
    static const char *const names[] = {"kind",           "specialty", "title",
                                        "starts-at",      "duration",  "participant",
                                        "every-weeks",    "count",     "video-bitrate",
                                        "interpretation", "languages", "floor-language",
                                        "floor-level",    NULL};
    static const char *const flags[] = {"providers-wait", NULL};
    g_autoptr(GHashTable) v = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) pos = g_ptr_array_new();
    g_autoptr(GPtrArray) specs = g_ptr_array_new();
    int rc = parse_options(cli->args, 2, names, flags, v, pos, specs);
    if (rc != EXIT_OK)
        return rc;
    if (pos->len)
        return usage_error("unexpected argument '%s'", (const char *)pos->pdata[0]);
    json_t *body = json_object();
    rc = build_create(v, specs, body);
    if (rc == EXIT_OK)
        rc = request_and_print(cli, "POST", "/api/v1/consults", body);
    json_decref(body);
    return rc;
}

static void print_table(json_t *list)
{
    printf("%-16s %-10s %-20s %-16s %s\n", "ID", "STATE", "STARTS_AT", "KIND", "TITLE");
    json_t *c;
    gsize i;
    json_array_foreach(list, i, c)
    {
        printf("%-16s %-10s %-20s %-16s %s\n", json_string_value(json_object_get(c, "id")),
               json_string_value(json_object_get(c, "state")),
               json_string_value(json_object_get(c, "starts_at")),
               json_string_value(json_object_get(c, "kind")),
               json_string_value(json_object_get(c, "title")));
    }
}

static int cmd_consult_list(Cli *cli)
{
    static const char *const names[] = {"from", "to", "state", NULL};
    g_autoptr(GHashTable) v = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) pos = g_ptr_array_new();
    int rc = parse_options(cli->args, 2, names, NULL, v, pos, NULL);
    if (rc != EXIT_OK)
        return rc;
    if (pos->len)
        return usage_error("unexpected argument '%s'", (const char *)pos->pdata[0]);
    g_autoptr(GString) path = g_string_new("/api/v1/consults");
    for (guint i = 0; names[i]; i++) {
        const char *value = g_hash_table_lookup(v, names[i]);
        if (!value)
            continue;
        g_autofree char *escaped = g_uri_escape_string(value, NULL, FALSE);
        g_string_append_printf(path, "%c%s=%s", strchr(path->str, '?') ? '&' : '?', names[i],
                               escaped);
    }
    json_t *out = NULL;
    rc = request(cli, "GET", path->str, NULL, &out);
    if (rc == EXIT_OK) {
        print_table(json_object_get(out, "consults"));
        if (json_is_true(json_object_get(out, "truncated")))
            fprintf(stderr, "consultctl: the list is truncated; narrow it with --from/--to\n");
    }
    json_decref(out);
    return rc;
}

/* An id as consultd makes them (it goes into a path). */
static gboolean is_id(const char *id)
{
    return id[0] && strlen(id) <= 64 &&
           strspn(id, "abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == strlen(id);
}

/* Commands of the shape "GROUP VERB ID [ID2]". */
static int positional_ids(Cli *cli, guint want, const char **ids)
{
    g_autoptr(GHashTable) v = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) pos = g_ptr_array_new();
    int rc = parse_options(cli->args, 2, NULL, NULL, v, pos, NULL);
    if (rc != EXIT_OK)
        return rc;
    if (pos->len != want)
        return usage_error("%s %s wants %u argument(s)", (const char *)cli->args->pdata[0],
                           (const char *)cli->args->pdata[1], want);
    for (guint i = 0; i < want; i++) {
        const char *id = pos->pdata[i];
        if (!is_id(id))
            return usage_error("'%s' is not an id", id);
        ids[i] = id;
    }
    return EXIT_OK;
}

static int cmd_consult_show(Cli *cli)
{
    const char *id = NULL;
    int rc = positional_ids(cli, 1, &id);
    if (rc != EXIT_OK)
        return rc;
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s", id);
    return request_and_print(cli, "GET", path, NULL);
}

/* PATCH video_bitrate_kbps: a number (the server checks its range) or
 * "default" (null: the server's consults.video_bitrate_kbps). */
static int cmd_consult_video_bitrate(Cli *cli)
{
    const char *args[2] = {NULL, NULL};
    int rc = positional_ids(cli, 2, args);
    if (rc != EXIT_OK)
        return rc;
    guint kbps = 0;
    gboolean is_default = g_str_equal(args[1], "default");
    if (!is_default && !parse_uint(args[1], &kbps))
        return usage_error("consult video-bitrate wants a number of kbps or 'default', got '%s'",
                           args[1]);
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s", args[0]);
    json_t *body =
        json_pack("{s:o}", "video_bitrate_kbps", is_default ? json_null() : json_integer(kbps));
    rc = request_and_print(cli, "PATCH", path, body);
    json_decref(body);
    return rc;
}

/* PATCH: the options given, nothing else (the server needs at least one). */
static int cmd_consult_update(Cli *cli)
{
    static const char *const names[] = {"title",          "specialty",      "starts-at",
                                        "duration",       "interpretation", "languages",
                                        "floor-language", "floor-level",    NULL};
    g_autoptr(GHashTable) v = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) pos = g_ptr_array_new();
    int rc = parse_options(cli->args, 2, names, NULL, v, pos, NULL);
    if (rc != EXIT_OK)
        return rc;
    if (pos->len != 1)
        return usage_error("consult update wants one CONSULT_ID and options");
    if (!is_id(pos->pdata[0]))
        return usage_error("'%s' is not an id", (const char *)pos->pdata[0]);
    json_t *body = json_object();
    static const char *const strings[][2] = {
        {"title", "title"}, {"specialty", "specialty"}, {"starts-at", "starts_at"}};
    for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
        if (g_hash_table_contains(v, strings[i][0]))
            json_object_set_new(body, strings[i][1],
                                json_string(g_hash_table_lookup(v, strings[i][0])));
    guint duration = 0;
    if (g_hash_table_contains(v, "duration") &&
        !parse_uint(g_hash_table_lookup(v, "duration"), &duration))
        rc = usage_error("--duration wants a number of minutes");
    else if (g_hash_table_contains(v, "duration"))
        json_object_set_new(body, "duration_min", json_integer(duration));
    if (rc == EXIT_OK)
        rc = add_interpretation(v, TRUE, body);
    if (rc == EXIT_OK && json_object_size(body) == 0)
        rc = usage_error("consult update needs at least one option to change");
    if (rc == EXIT_OK) {
        g_autofree char *path = g_strdup_printf("/api/v1/consults/%s", (const char *)pos->pdata[0]);
        rc = request_and_print(cli, "PATCH", path, body);
    }
    json_decref(body);
    return rc;
}

static int cmd_participant_add(Cli *cli)
{
    const char *args[2] = {NULL, NULL};
    g_autoptr(GHashTable) v = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) pos = g_ptr_array_new();
    int rc = parse_options(cli->args, 2, NULL, NULL, v, pos, NULL);
    if (rc != EXIT_OK)
        return rc;
    if (pos->len != 2)
        return usage_error("participant add wants CONSULT_ID and \"Name:role[:language]\"");
    args[0] = pos->pdata[0];
    args[1] = pos->pdata[1];
    if (!is_id(args[0]))
        return usage_error("'%s' is not an id", args[0]);
    g_autofree char *why = NULL;
    json_t *body = ctl_participant_json(args[1], &why);
    if (!body)
        return usage_error("%s", why);
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s/participants", args[0]);
    rc = request_and_print(cli, "POST", path, body);
    json_decref(body);
    return rc;
}

static int cmd_consult_cancel(Cli *cli)
{
    const char *id = NULL;
    int rc = positional_ids(cli, 1, &id);
    if (rc != EXIT_OK)
        return rc;
    g_autofree char *path = g_strdup_printf("/api/v1/consults/%s/cancel", id);
    json_t *out = NULL;
    rc = request(cli, "POST", path, NULL, &out);
    if (rc == EXIT_OK)
        printf("consult %s cancelled\n", id);
    json_decref(out);
    return rc;
}

static int cmd_token_mint(Cli *cli)
{
    const char *ids[2] = {NULL, NULL};
    int rc = positional_ids(cli, 2, ids);
    if (rc != EXIT_OK)
        return rc;
    g_autofree char *path =
        g_strdup_printf("/api/v1/consults/%s/participants/%s/token", ids[0], ids[1]);
    return request_and_print(cli, "POST", path, NULL);
}

static int cmd_audit(Cli *cli, int (*run)(GHashTable *v))
{
    static const char *const names[] = {"db",     "key-file", "anchor", "older-than-days",
                                        "before", NULL};
    g_autoptr(GHashTable) v = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) pos = g_ptr_array_new();
    int rc = parse_options(cli->args, 2, names, NULL, v, pos, NULL);
    if (rc != EXIT_OK)
        return rc;
    if (pos->len)
        return usage_error("unexpected argument '%s'", (const char *)pos->pdata[0]);
    return run(v);
}

static int cmd_audit_verify(Cli *cli)
{
    return cmd_audit(cli, ctl_audit_verify);
}

static int cmd_audit_prune(Cli *cli)
{
    return cmd_audit(cli, ctl_audit_prune);
}

static const struct {
    const char *group, *verb;
    int (*run)(Cli *cli);
} commands[] = {
    {"consult", "create", cmd_consult_create},
    {"consult", "update", cmd_consult_update},
    {"consult", "list", cmd_consult_list},
    {"consult", "show", cmd_consult_show},
    {"consult", "cancel", cmd_consult_cancel},
    {"consult", "video-bitrate", cmd_consult_video_bitrate},
    {"participant", "add", cmd_participant_add},
    {"token", "mint", cmd_token_mint},
    {"audit", "verify", cmd_audit_verify},
    {"audit", "prune", cmd_audit_prune},
};

/* Takes the global options out of argv; the rest goes to cli->args. */
static int parse_globals(Cli *cli, int argc, char **argv, gboolean *help)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char **slot = g_str_equal(a, "--url")            ? &cli->server.url
                      : g_str_equal(a, "--api-key-file") ? &cli->api_key_file
                      : g_str_equal(a, "--cacert")       ? &cli->server.cacert
                                                         : NULL;
        if (slot) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", a);
            g_free(*slot);
            *slot = g_strdup(argv[++i]);
        } else if (g_str_equal(a, "--insecure")) {
            cli->server.insecure = TRUE;
        } else if (g_str_equal(a, "--help") || g_str_equal(a, "-h")) {
            *help = TRUE;
        } else {
            g_ptr_array_add(cli->args, argv[i]);
        }
    }
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    Cli cli = {.args = g_ptr_array_new()};
    gboolean help = FALSE;
    int rc = parse_globals(&cli, argc, argv, &help);
    if (rc == EXIT_OK && (help || cli.args->len == 0)) {
        fputs(usage_text, help ? stdout : stderr);
        rc = help ? EXIT_OK : EXIT_USAGE;
    } else if (rc == EXIT_OK) {
        rc = -1;
        for (gsize i = 0; rc < 0 && i < G_N_ELEMENTS(commands); i++)
            if (cli.args->len >= 2 && g_str_equal(cli.args->pdata[0], commands[i].group) &&
                g_str_equal(cli.args->pdata[1], commands[i].verb))
                rc = commands[i].run(&cli);
        if (rc < 0)
            rc = usage_error("unknown command '%s%s%s'", (const char *)cli.args->pdata[0],
                             cli.args->len > 1 ? " " : "",
                             cli.args->len > 1 ? (const char *)cli.args->pdata[1] : "");
    }
    g_ptr_array_unref(cli.args);
    g_free(cli.server.url);
    g_free(cli.server.api_key);
    g_free(cli.server.cacert);
    g_free(cli.api_key_file);
    return rc;
}
