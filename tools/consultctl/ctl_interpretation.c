/* ctl_interpretation.c — see ctl_interpretation.h. */
#include "ctl_interpretation.h"

#include <string.h>

#include "roles.h"

json_t *ctl_participant_json(const char *spec, char **why)
{
    g_auto(GStrv) parts = g_strsplit(spec, ":", -1);
    guint n = g_strv_length(parts);
    guint role = 0; /* index of the role part; 0 = none found */
    for (guint k = n; k-- > 1;) {
        if (n - 1 - k > 2)
            break;
        if (cg_role_is_known(parts[k])) {
            role = k;
            break;
        }
    }
    if (role == 0 && n >= 2)
        role = n - 1; /* no known role: the old "Name:role" reading */
    g_autofree char *name = NULL;
    if (role) { /* the name is every part before the role, ':' and all */
        char *saved = parts[role];
        parts[role] = NULL;
        name = g_strjoinv(":", parts);
        parts[role] = saved;
    }
    if (!role || !name[0] || !parts[role][0]) {
        *why = g_strdup_printf(
            "--participant wants \"Name:role[:language[:relay_from]]\", got '%s'", spec);
        return NULL;
    }
    json_t *p = json_pack("{s:s, s:s}", "name", name, "role", parts[role]);
    static const char *const keys[] = {"language", "relay_from"};
    for (guint i = 0; i < 2 && role + 1 + i < n; i++) {
        if (!parts[role + 1 + i][0]) {
            json_decref(p);
            *why = g_strdup_printf("--participant '%s' has an empty %s", spec, keys[i]);
            return NULL;
        }
        json_object_set_new(p, keys[i], json_string(parts[role + 1 + i]));
    }
    return p;
}

static json_t *languages_json(const char *text)
{
    json_t *list = json_array();
    g_auto(GStrv) tags = g_strsplit(text, ",", -1);
    for (guint i = 0; tags[i]; i++)
        json_array_append_new(list, json_string(g_strstrip(tags[i])));
    return list;
}

static gboolean set_interpretation(GHashTable *v, gboolean update, json_t *body, char **why)
{
    const char *mode = g_hash_table_lookup(v, "interpretation");
    const char *languages = g_hash_table_lookup(v, "languages");
    if (update && g_strcmp0(mode, "none") == 0) {
        if (languages) {
            *why = g_strdup("--languages makes no sense with --interpretation none");
            return FALSE;
        }
        json_object_set_new(body, "interpretation", json_null());
        return TRUE;
    }
    if (!mode != !languages) {
        *why = g_strdup("--interpretation MODE and --languages TAG,TAG go together");
        return FALSE;
    }
    if (mode)
        json_object_set_new(
            body, "interpretation",
            json_pack("{s:s, s:o}", "mode", mode, "languages", languages_json(languages)));
    return TRUE;
}

gboolean ctl_interpretation_members(GHashTable *v, gboolean update, json_t *body, char **why)
{
    if (!set_interpretation(v, update, body, why))
        return FALSE;
    const char *floor = g_hash_table_lookup(v, "floor-language");
    if (floor)
        json_object_set_new(body, "floor_language",
                            update && g_str_equal(floor, "none") ? json_null()
                                                                 : json_string(floor));
    const char *level = g_hash_table_lookup(v, "floor-level");
    if (!level)
        return TRUE;
    gint64 db = 0;
    if (update && g_str_equal(level, "default")) {
        json_object_set_new(body, "floor_level_db", json_null());
    } else if (g_ascii_string_to_signed(level, 10, -1000, 1000, &db, NULL)) {
        json_object_set_new(body, "floor_level_db", json_integer(db));
    } else {
        *why = g_strdup_printf("--floor-level wants a whole number of dB (-40..0)%s, got '%s'",
                               update ? " or 'default'" : "", level);
        return FALSE;
    }
    return TRUE;
}
