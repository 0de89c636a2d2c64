/* config.c — parse with libconfig, then walk the tree against the schema.
 *
 * Defaults are written into a fresh CgConfig first; walking the parsed tree
 * then overwrites what the file sets, failing at the first unknown key, wrong
 * type or bad value. Required keys are checked per group after its walk, and
 * checks across keys (config-schema.c) run last.
 *
 * libconfig 1.5 stores every integer literal without an "L" suffix as a C int
 * and silently wraps bigger ones (5000000000 reads as 705032704). So integer
 * values are re-read from the source line and a literal that does not fit is
 * reported as out of range instead of being accepted wrapped.
 */
#include "config-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK(cg - config - error - quark, cg_config_error)

typedef struct {
    const char *source_name;
    const CgConfigKey *keys;
    guint n_keys;
    char **lines; /* the main text split at '\n', to re-read integer literals */
    guint n_lines;
} Walk;

/* ---- errors ------------------------------------------------------------- */

static void set_error_va(GError **error, int code, const config_setting_t *setting,
                         const char *source_name, const char *format, va_list args)
    G_GNUC_PRINTF(5, 0);

static void set_error_va(GError **error, int code, const config_setting_t *setting,
                         const char *source_name, const char *format, va_list args)
{
    const char *file = setting && config_setting_source_file(setting)
                           ? config_setting_source_file(setting)
                           : source_name;
    guint line = setting ? config_setting_source_line(setting) : 0;
    g_autofree char *what = g_strdup_vprintf(format, args);
    g_set_error(error, CG_CONFIG_ERROR, code, "%s:%u: %s", file, line ? line : 1, what);
}

gboolean cg_config_fail_at(GError **error, const config_setting_t *setting, const char *source_name,
                           const char *format, ...)
{
    va_list args;
    va_start(args, format);
    set_error_va(error, CG_CONFIG_ERROR_INVALID, setting, source_name, format, args);
    va_end(args);
    return FALSE;
}

static const char *type_name(const config_setting_t *setting)
{
    switch (config_setting_type(setting)) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    case CONFIG_TYPE_LIST:
        return "a list";
    default:
        return "nothing";
    }
}

/* ---- schema look-ups ---------------------------------------------------- */

static const CgConfigKey *find_key(const Walk *w, const char *path)
{
    for (guint i = 0; i < w->n_keys; i++) {
        if (strcmp(w->keys[i].path, path) == 0)
            return &w->keys[i];
    }
    return NULL;
}

/* The key's name within its parent ("port" for "server.port"). */
static const char *leaf_name(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

/* Does @path lie below @prefix ("" = the root), not inside a deeper list? */
static gboolean is_below(const char *path, const char *prefix)
{
    gsize len = strlen(prefix);
    if (len > 0 && (strncmp(path, prefix, len) != 0 || path[len] != '.'))
        return FALSE;
    return strstr(path + (len ? len + 1 : 0), "[]") == NULL;
}

static gboolean is_child(const char *path, const char *prefix)
{
    return is_below(path, prefix) &&
           strchr(path + (prefix[0] ? strlen(prefix) + 1 : 0), '.') == NULL;
}

/* Optimal string alignment distance: a swap of two letters counts as one. */
static guint edit_distance(const char *a, const char *b)
{
    gsize n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64)
        return G_MAXUINT;
    guint d[65][65];
    for (gsize i = 0; i <= n; i++)
        d[i][0] = i;
    for (gsize j = 0; j <= m; j++)
        d[0][j] = j;
    for (gsize i = 1; i <= n; i++) {
        for (gsize j = 1; j <= m; j++) {
            guint cost = a[i - 1] != b[j - 1];
            d[i][j] = MIN(MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = MIN(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[n][m];
}

/* " (did you mean 'port'?)" for a near sibling, " (did you mean
 * 'server.port'?)" for the same name in another group, or "". */
static char *suggestion(const Walk *w, const char *prefix, const char *name)
{
    const char *best = NULL;
    guint best_distance = MIN(2, strlen(name) - 1);
    for (guint i = 0; i < w->n_keys; i++) {
        if (!is_child(w->keys[i].path, prefix))
            continue;
        guint distance = edit_distance(name, leaf_name(w->keys[i].path));
        if (distance <= best_distance) {
            best = leaf_name(w->keys[i].path);
            best_distance = distance;
        }
    }
    for (guint i = 0; !best && i < w->n_keys; i++) {
        if (!strstr(w->keys[i].path, "[]") && strcmp(leaf_name(w->keys[i].path), name) == 0)
            best = w->keys[i].path;
    }
    return best ? g_strdup_printf(" (did you mean '%s'?)", best) : g_strdup("");
}

/* ---- values ------------------------------------------------------------- */

static gpointer field(gpointer base, gsize offset)
{
    return (guint8 *)base + offset;
}

static void set_string(gpointer base, const CgConfigKey *key, const char *value)
{
    char **slot = field(base, key->offset);
    g_free(*slot);
    *slot = key->empty_is_null && value[0] == '\0' ? NULL : g_strdup(value);
}

static void apply_defaults(const Walk *w, const char *prefix, gpointer base)
{
    for (guint i = 0; i < w->n_keys; i++) {
        const CgConfigKey *key = &w->keys[i];
        if (!is_below(key->path, prefix) || key->required)
            continue;
        if (key->kind == CG_CONFIG_KEY_INT)
            *(guint *)field(base, key->offset) = key->default_int;
        else if (key->kind == CG_CONFIG_KEY_BOOL)
            *(gboolean *)field(base, key->offset) = key->default_int;
        else if (key->kind == CG_CONFIG_KEY_STRING)
            set_string(base, key, key->default_str);
        else if (key->kind == CG_CONFIG_KEY_STRING_ARRAY) {
            char ***slot = field(base, key->offset);
            const char *const one[] = {key->default_str, NULL}; /* NULL default: [] */
            g_strfreev(*slot);
            *slot = g_strdupv((char **)one);
        }
    }
}

typedef struct {
    gboolean found;
    gboolean too_big; /* does not fit in 64 bits */
    gint64 value;
    char text[32]; /* as written, without an L suffix */
} Literal;

/* Parses the integer literal at @p ("-12", "0x1F", "7L"). */
static gboolean parse_literal(const char *p, Literal *out)
{
    const char *start = p;
    gboolean negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    gboolean hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    const char *digits = hex ? p + 2 : p;
    gsize n = strspn(digits, hex ? "0123456789abcdefABCDEF" : "0123456789");
    if (n == 0 || digits + n - start >= (gssize)sizeof out->text)
        return FALSE;
    memcpy(out->text, start, digits + n - start);
    out->text[digits + n - start] = '\0';
    errno = 0;
    guint64 magnitude = g_ascii_strtoull(digits, NULL, hex ? 16 : 10);
    out->too_big = errno == ERANGE || magnitude > (guint64)G_MAXINT64;
    out->value = negative ? -(gint64)magnitude : (gint64)magnitude;
    return TRUE;
}

/* Finds "NAME = LITERAL" on the setting's source line and checks it is the
 * literal libconfig read (same value after libconfig's wrap to int). */
static Literal find_literal(const Walk *w, const config_setting_t *setting, gint64 parsed)
{
    Literal lit = {0};
    guint line = config_setting_source_line(setting);
    const char *name = config_setting_name(setting);
    if (config_setting_source_file(setting) || !name || line == 0 || line > w->n_lines)
        return lit;
    gsize name_len = strlen(name);
    for (const char *p = w->lines[line - 1]; (p = strstr(p, name)) != NULL; p += name_len) {
        if (p > w->lines[line - 1] && (g_ascii_isalnum(p[-1]) || strchr("_-*", p[-1])))
            continue;
        const char *q = p + name_len;
        q += strspn(q, " \t");
        if (*q != '=' && *q != ':')
            continue;
        q += 1 + strspn(q + 1, " \t");
        if (!parse_literal(q, &lit))
            continue;
        gboolean same = config_setting_type(setting) == CONFIG_TYPE_INT64
                            ? lit.value == parsed
                            : (gint32)(guint32)(guint64)lit.value == parsed;
        if (lit.too_big || same) {
            lit.found = TRUE;
            return lit;
        }
    }
    lit.found = FALSE;
    return lit;
}

static gboolean store_int(const Walk *w, const CgConfigKey *key, const config_setting_t *setting,
                          const char *path, gpointer base, GError **error)
{
    int type = config_setting_type(setting);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return cg_config_fail_at(error, setting, w->source_name, "%s must be an integer, got %s",
                                 path, type_name(setting));
    gint64 value = config_setting_get_int64(setting);
    Literal lit = find_literal(w, setting, value);
    if (lit.found)
        value = lit.value;
    gboolean off = key->zero_is_off && value == 0;
    if ((lit.found && lit.too_big) || (!off && (value < key->min || value > key->max))) {
        g_autofree char *shown =
            lit.found ? g_strdup(lit.text) : g_strdup_printf("%" G_GINT64_FORMAT, value);
        return cg_config_fail_at(
            error, setting, w->source_name,
            "%s must be %san integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ", got %s",
            path, key->zero_is_off ? "0 (off) or " : "", key->min, key->max, shown);
    }
    *(guint *)field(base, key->offset) = (guint)value;
    return TRUE;
}

static gboolean check_string(const Walk *w, const CgConfigKey *key, const config_setting_t *setting,
                             const char *path, GError **error)
{
    if (config_setting_type(setting) != CONFIG_TYPE_STRING)
        return cg_config_fail_at(error, setting, w->source_name, "%s must be a string, got %s",
                                 path, type_name(setting));
    g_autofree char *problem = key->check ? key->check(config_setting_get_string(setting)) : NULL;
    if (problem)
        return cg_config_fail_at(error, setting, w->source_name, "%s %s", path, problem);
    return TRUE;
}

static gboolean store_string_array(const Walk *w, const CgConfigKey *key,
                                   const config_setting_t *setting, const char *path, gpointer base,
                                   GError **error)
{
    if (config_setting_type(setting) != CONFIG_TYPE_ARRAY)
        return cg_config_fail_at(error, setting, w->source_name,
                                 "%s must be an array of strings, got %s", path,
                                 type_name(setting));
    guint n = config_setting_length(setting);
    if (n == 0 && !key->allow_empty)
        return cg_config_fail_at(error, setting, w->source_name, "%s must not be empty", path);
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
    for (guint i = 0; i < n; i++) {
        const config_setting_t *elem = config_setting_get_elem(setting, i);
        g_autofree char *elem_path = g_strdup_printf("%s[%u]", path, i);
        if (!check_string(w, key, elem, elem_path, error))
            return FALSE;
        g_strv_builder_add(builder, config_setting_get_string(elem));
    }
    char ***slot = field(base, key->offset);
    g_strfreev(*slot);
    *slot = g_strv_builder_end(builder);
    return TRUE;
}

/* ---- the walk ----------------------------------------------------------- */

static gboolean walk_group(const Walk *w, const config_setting_t *group, const char *prefix,
                           const char *shown_prefix, gpointer base, GError **error);

static gboolean walk_list(const Walk *w, const CgConfigKey *key, const config_setting_t *list,
                          const char *path, gpointer base, GError **error)
{
    if (config_setting_type(list) != CONFIG_TYPE_LIST)
        return cg_config_fail_at(error, list, w->source_name,
                                 "%s must be a list of groups ( {...}, ... ), got %s", path,
                                 type_name(list));
    guint n = config_setting_length(list);
    if (n == 0)
        return cg_config_fail_at(error, list, w->source_name, "%s must not be empty", path);
    /* Stored before filling, so cg_config_free() cleans up a half-filled list. */
    *(gpointer *)field(base, key->offset) = g_malloc0_n(n, key->elem_size);
    *(guint *)field(base, key->count_offset) = n;
    g_autofree char *elem_prefix = g_strconcat(key->path, "[]", NULL);
    for (guint i = 0; i < n; i++) {
        const config_setting_t *elem = config_setting_get_elem(list, i);
        gpointer elem_base = (guint8 *)*(gpointer *)field(base, key->offset) + i * key->elem_size;
        g_autofree char *elem_path = g_strdup_printf("%s[%u]", path, i);
        if (config_setting_type(elem) != CONFIG_TYPE_GROUP)
            return cg_config_fail_at(error, elem, w->source_name, "%s must be a group, got %s",
                                     elem_path, type_name(elem));
        apply_defaults(w, elem_prefix, elem_base);
        if (!walk_group(w, elem, elem_prefix, elem_path, elem_base, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean walk_setting(const Walk *w, const config_setting_t *setting, const char *prefix,
                             const char *shown_prefix, gpointer base, GError **error)
{
    const char *name = config_setting_name(setting);
    g_autofree char *path = prefix[0] ? g_strconcat(prefix, ".", name, NULL) : g_strdup(name);
    g_autofree char *shown =
        shown_prefix[0] ? g_strconcat(shown_prefix, ".", name, NULL) : g_strdup(name);
    const CgConfigKey *key = find_key(w, path);
    if (!key) {
        g_autofree char *hint = suggestion(w, prefix, name);
        return cg_config_fail_at(error, setting, w->source_name, "unknown key '%s'%s", shown, hint);
    }
    switch (key->kind) {
    case CG_CONFIG_KEY_GROUP:
        if (config_setting_type(setting) != CONFIG_TYPE_GROUP)
            return cg_config_fail_at(error, setting, w->source_name,
                                     "%s must be a group { ... }, got %s", shown,
                                     type_name(setting));
        return walk_group(w, setting, path, shown, base, error);
    case CG_CONFIG_KEY_GROUP_LIST:
        return walk_list(w, key, setting, shown, base, error);
    case CG_CONFIG_KEY_INT:
        return store_int(w, key, setting, shown, base, error);
    case CG_CONFIG_KEY_BOOL:
        if (config_setting_type(setting) != CONFIG_TYPE_BOOL)
            return cg_config_fail_at(error, setting, w->source_name,
                                     "%s must be a boolean (true or false), got %s", shown,
                                     type_name(setting));
        *(gboolean *)field(base, key->offset) = config_setting_get_bool(setting) != 0;
        return TRUE;
    case CG_CONFIG_KEY_STRING:
        if (!check_string(w, key, setting, shown, error))
            return FALSE;
        set_string(base, key, config_setting_get_string(setting));
        return TRUE;
    case CG_CONFIG_KEY_STRING_ARRAY:
        return store_string_array(w, key, setting, shown, base, error);
    case CG_CONFIG_KEY_REMOVED:
        return cg_config_fail_at(error, setting, w->source_name, "%s %s", shown, key->removed);
    }
    g_return_val_if_reached(FALSE);
}

/* A required key below @prefix is missing if the group on its way that
 * should be a member of @group is absent (deeper levels check themselves). */
static gboolean check_required(const Walk *w, const config_setting_t *group, const char *prefix,
                               const char *shown_prefix, GError **error)
{
    gsize skip = prefix[0] ? strlen(prefix) + 1 : 0;
    for (guint i = 0; i < w->n_keys; i++) {
        const CgConfigKey *key = &w->keys[i];
        if (!key->required || !is_below(key->path, prefix))
            continue;
        g_autofree char *member = g_strndup(key->path + skip, strcspn(key->path + skip, "."));
        if (config_setting_get_member(group, member))
            continue;
        const char *rest = key->path + skip;
        return cg_config_fail_at(error, group, w->source_name, "missing required key '%s%s%s'",
                                 shown_prefix, shown_prefix[0] ? "." : "", rest);
    }
    return TRUE;
}

static gboolean walk_group(const Walk *w, const config_setting_t *group, const char *prefix,
                           const char *shown_prefix, gpointer base, GError **error)
{
    guint n = config_setting_length(group);
    for (guint i = 0; i < n; i++) {
        if (!walk_setting(w, config_setting_get_elem(group, i), prefix, shown_prefix, base, error))
            return FALSE;
    }
    return check_required(w, group, prefix, shown_prefix, error);
}

/* ---- entry points ------------------------------------------------------- */

static CgConfig *load_text(const char *text, const char *source_name, const char *include_dir,
                           GError **error)
{
    config_t cfg;
    config_init(&cfg);
    if (include_dir) /* libconfig 1.5 crashes on NULL */
        config_set_include_dir(&cfg, include_dir);
    if (!config_read_string(&cfg, text)) {
        gboolean io = config_error_type(&cfg) == CONFIG_ERR_FILE_IO;
        g_set_error(error, CG_CONFIG_ERROR, io ? CG_CONFIG_ERROR_IO : CG_CONFIG_ERROR_SYNTAX,
                    "%s:%d: %s", config_error_file(&cfg) ? config_error_file(&cfg) : source_name,
                    MAX(config_error_line(&cfg), 1), config_error_text(&cfg));
        config_destroy(&cfg);
        return NULL;
    }
    Walk w = {.source_name = source_name, .lines = g_strsplit(text, "\n", -1)};
    w.keys = cg_config_schema(&w.n_keys);
    w.n_lines = g_strv_length(w.lines);

    CgConfig *config = g_new0(CgConfig, 1);
    apply_defaults(&w, "", config);
    if (!walk_group(&w, config_root_setting(&cfg), "", "", config, error) ||
        !cg_config_check_cross(config, &cfg, source_name, error))
        g_clear_pointer(&config, cg_config_free);
    g_strfreev(w.lines);
    config_destroy(&cfg);
    return config;
}

CgConfig *cg_config_load_string(const char *text, const char *source_name, GError **error)
{
    g_return_val_if_fail(text != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    return load_text(text, source_name ? source_name : "(string)", NULL, error);
}

/* Reads all of @path (at most CONFIG_MAX_BYTES, so a device or a runaway file
 * cannot eat the memory). Returns (transfer full) the text, NUL-terminated. */
#define CONFIG_MAX_BYTES (1024 * 1024)

static char *read_file(const char *path, gsize *length, GError **error)
{
    int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_IO, "%s: cannot read: %s", path,
                    g_strerror(saved));
        return NULL;
    }
    g_autoptr(GString) text = g_string_new(NULL);
    char chunk[8192];
    for (;;) {
        gssize n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            g_close(fd, NULL);
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_IO, "%s: cannot read: %s", path,
                        g_strerror(saved));
            return NULL;
        }
        if (n == 0)
            break;
        if (text->len + n > CONFIG_MAX_BYTES) {
            g_close(fd, NULL);
            g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_IO,
                        "%s: cannot read: larger than %d bytes", path, CONFIG_MAX_BYTES);
            return NULL;
        }
        g_string_append_len(text, chunk, n);
    }
    g_close(fd, NULL);
    *length = text->len;
    return g_string_free(g_steal_pointer(&text), FALSE);
}

CgConfig *cg_config_load_file(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    gsize length = 0;
    g_autofree char *text = read_file(path, &length, error);
    if (!text)
        return NULL;
    const char *nul = memchr(text, '\0', length);
    if (nul) {
        guint line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        g_set_error(error, CG_CONFIG_ERROR, CG_CONFIG_ERROR_SYNTAX, "%s:%u: NUL byte in the file",
                    path, line);
        return NULL;
    }
    g_autofree char *dir = g_path_get_dirname(path);
    return load_text(text, path, dir, error);
}

static void free_fields(const CgConfigKey *keys, guint n_keys, const char *prefix, gpointer base)
{
    for (guint i = 0; i < n_keys; i++) {
        const CgConfigKey *key = &keys[i];
        if (!is_below(key->path, prefix))
            continue;
        if (key->kind == CG_CONFIG_KEY_STRING) {
            g_free(*(char **)field(base, key->offset));
        } else if (key->kind == CG_CONFIG_KEY_STRING_ARRAY) {
            g_strfreev(*(char ***)field(base, key->offset));
        } else if (key->kind == CG_CONFIG_KEY_GROUP_LIST) {
            guint8 *elems = *(gpointer *)field(base, key->offset);
            guint n = *(guint *)field(base, key->count_offset);
            g_autofree char *elem_prefix = g_strconcat(key->path, "[]", NULL);
            for (guint j = 0; elems && j < n; j++)
                free_fields(keys, n_keys, elem_prefix, elems + j * key->elem_size);
            g_free(elems);
        }
    }
}

void cg_config_free(CgConfig *config)
{
    if (!config)
        return;
    guint n_keys = 0;
    const CgConfigKey *keys = cg_config_schema(&n_keys);
    free_fields(keys, n_keys, "", config);
    g_free(config);
}
