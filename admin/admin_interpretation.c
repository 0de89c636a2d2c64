/* admin_interpretation.c — the interpretation fields of the admin API
 * (issue 11, docs/api.md "Interpretation"): a consult's `interpretation`
 * {mode, languages}, `floor_language` and `floor_level_db`, a participant's
 * `language` and `relay_from`, the checks between them, and their JSON.
 *
 * Tags are validated by language_tags.h and kept lower-cased. The rules
 * between the fields are checked here once, for create, PATCH and adding a
 * participant alike; every refusal is 400 invalid_field (missing_field for a
 * required member that is absent) naming the field at fault.
 */
#include "admin-private.h"

#include "language_tags.h"

static const char *const modes[] = {"consecutive", "simultaneous", NULL};

/* ---- tags ----------------------------------------------------------------- */

static gboolean parse_tag(Call *call, json_t *value, const char *field, char **out)
{
    if (!json_is_string(value) || strlen(json_string_value(value)) != json_string_length(value) ||
        !cg_language_tag_valid(json_string_value(value))) {
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "%s must be a language tag such as \"es\", \"ar\" or \"pt-BR\" "
                             "(BCP 47: a 2 or 3 letter language, then optional script, region "
                             "and variants; at most %d characters)",
                             field, CG_LANGUAGE_TAG_MAX);
        return FALSE;
    }
    *out = cg_language_tag_normalize(json_string_value(value));
    return TRUE;
}

/* "es, ar" for messages (tags are validated: safe to show). */
static char *declared(const CgConsultRecord *c)
{
    if (!c->interpretation_mode || !c->interpretation_languages)
        return g_strdup("none");
    return g_strjoinv(", ", c->interpretation_languages);
}

static gboolean is_declared(const CgConsultRecord *c, const char *tag)
{
    return c->interpretation_mode &&
           cg_language_tag_index((const char *const *)c->interpretation_languages, tag) >= 0;
}

/* ---- the consult's fields ------------------------------------------------- */

static gboolean parse_languages(Call *call, json_t *list, char ***out)
{
    gsize n = json_array_size(list);
    if (!json_is_array(list) || n < 1 || n > CG_CONSULT_LANGUAGES_MAX) {
        cg_admin_reply_error(call, 400, "invalid_field", "interpretation.languages",
                             "interpretation.languages must be an array of 1 to %d language tags",
                             CG_CONSULT_LANGUAGES_MAX);
        return FALSE;
    }
    g_auto(GStrv) tags = g_new0(char *, n + 1);
    for (gsize i = 0; i < n; i++) {
        g_autofree char *field = g_strdup_printf("interpretation.languages[%zu]", i);
        if (!parse_tag(call, json_array_get(list, i), field, &tags[i]))
            return FALSE;
        gint seen = cg_language_tag_index((const char *const *)tags, tags[i]);
        if (seen >= 0 && (gsize)seen < i) {
            cg_admin_reply_error(call, 400, "invalid_field", field,
                                 "%s repeats %s (interpretation.languages[%d]): each language "
                                 "is declared once",
                                 field, tags[i], seen);
            return FALSE;
        }
    }
    *out = g_steal_pointer(&tags);
    return TRUE;
}

/* `interpretation`: null clears it; an object replaces it whole. */
static gboolean parse_interpretation_object(Call *call, json_t *value, CgConsultRecord *c)
{
    static const char *const known[] = {"mode", "languages", NULL};
    if (json_is_null(value)) {
        g_clear_pointer(&c->interpretation_mode, g_free);
        g_clear_pointer(&c->interpretation_languages, g_strfreev);
        return TRUE;
    }
    if (!json_is_object(value)) {
        cg_admin_reply_error(call, 400, "invalid_field", "interpretation",
                             "interpretation must be an object {\"mode\", \"languages\"} or null");
        return FALSE;
    }
    const char *mode = NULL;
    char **languages = NULL;
    if (!cg_admin_get_string(call, value, "mode", "interpretation.mode", 32, TRUE, &mode))
        return FALSE;
    if (!g_strv_contains(modes, mode)) {
        cg_admin_reply_error(call, 400, "invalid_field", "interpretation.mode",
                             "interpretation.mode must be consecutive or simultaneous");
        return FALSE;
    }
    json_t *list = json_object_get(value, "languages");
    if (!list) {
        cg_admin_reply_error(call, 400, "missing_field", "interpretation.languages",
                             "interpretation.languages is required");
        return FALSE;
    }
    if (!parse_languages(call, list, &languages))
        return FALSE;
    if (!cg_admin_only_known_members(call, value, "interpretation.", known)) {
        g_strfreev(languages);
        return FALSE;
    }
    g_free(c->interpretation_mode);
    c->interpretation_mode = g_strdup(mode);
    g_strfreev(c->interpretation_languages);
    c->interpretation_languages = languages;
    return TRUE;
}

static gboolean parse_floor_level(Call *call, json_t *value, CgConsultRecord *c)
{
    if (json_is_null(value)) {
        c->floor_level_db = CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT;
        return TRUE;
    }
    if (!json_is_integer(value) || json_integer_value(value) < CG_CONSULT_FLOOR_LEVEL_DB_MIN ||
        json_integer_value(value) > CG_CONSULT_FLOOR_LEVEL_DB_MAX) {
        cg_admin_reply_error(call, 400, "invalid_field", "floor_level_db",
                             "floor_level_db must be an integer from %d to %d (dB), or null "
                             "(the default, %d)",
                             CG_CONSULT_FLOOR_LEVEL_DB_MIN, CG_CONSULT_FLOOR_LEVEL_DB_MAX,
                             CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT);
        return FALSE;
    }
    c->floor_level_db = (gint)json_integer_value(value);
    return TRUE;
}

/* The floor is the original; the languages are its interpretations: a
 * language cannot be both. Names what this request sent. */
static gboolean check_floor_language(Call *call, const CgConsultRecord *c, gboolean floor_sent)
{
    if (!c->floor_language || !is_declared(c, c->floor_language))
        return TRUE;
    gint i =
        cg_language_tag_index((const char *const *)c->interpretation_languages, c->floor_language);
    g_autofree char *field = floor_sent ? g_strdup("floor_language")
                                        : g_strdup_printf("interpretation.languages[%d]", i);
    cg_admin_reply_error(call, 400, "invalid_field", field,
                         "%s: %s is the floor language (the one spoken in the consult), so it "
                         "cannot also be one of interpretation.languages",
                         field, c->floor_language);
    return FALSE;
}

gboolean cg_admin_parse_interpretation(Call *call, json_t *body, CgConsultRecord *c)
{
    json_t *interpretation = json_object_get(body, "interpretation");
    json_t *floor_language = json_object_get(body, "floor_language");
    json_t *floor_level = json_object_get(body, "floor_level_db");
    if (interpretation && !parse_interpretation_object(call, interpretation, c))
        return FALSE;
    if (floor_language && json_is_null(floor_language)) {
        g_clear_pointer(&c->floor_language, g_free);
    } else if (floor_language) {
        char *tag = NULL;
        if (!parse_tag(call, floor_language, "floor_language", &tag))
            return FALSE;
        g_free(c->floor_language);
        c->floor_language = tag;
    }
    if (floor_level && !parse_floor_level(call, floor_level, c))
        return FALSE;
    return check_floor_language(call, c, floor_language != NULL);
}

/* ---- a participant's fields ----------------------------------------------- */

static gboolean check_interpreter(Call *call, const char *at, const CgConsultRecord *c,
                                  const char *language)
{
    g_autofree char *languages = declared(c);
    if (!c->interpretation_mode) {
        g_autofree char *field = g_strdup_printf("%srole", at);
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "%s: an interpreter needs a consult with interpretation, and this "
                             "consult has none: declare \"interpretation\": {\"mode\", "
                             "\"languages\"} on the consult first",
                             field);
        return FALSE;
    }
    g_autofree char *field = g_strdup_printf("%slanguage", at);
    if (!language) {
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "%s is required for an interpreter: the language it interprets "
                             "into, one of %s",
                             field, languages);
        return FALSE;
    }
    if (!is_declared(c, language)) {
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "%s: %s is not a language of this consult (%s)", field, language,
                             languages);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_relay(Call *call, const char *at, const char *role, const CgConsultRecord *c,
                            const char *language, const char *relay_from)
{
    g_autofree char *field = g_strdup_printf("%srelay_from", at);
    g_autofree char *languages = declared(c);
    const char *why = NULL;
    if (!g_str_equal(role, "interpreter"))
        why = "is only for interpreters (the channel an interpreter listens to instead of the "
              "floor)";
    else if (!g_strcmp0(c->interpretation_mode, "consecutive"))
        why = "needs simultaneous interpretation (in consecutive mode interpreters hear the "
              "floor)";
    else if (cg_language_tag_equal(relay_from, language))
        why = "must differ from the interpreter's own language";
    if (why) {
        cg_admin_reply_error(call, 400, "invalid_field", field, "%s %s", field, why);
        return FALSE;
    }
    if (!is_declared(c, relay_from)) {
        cg_admin_reply_error(call, 400, "invalid_field", field,
                             "%s: %s is not a language of this consult (%s)", field, relay_from,
                             languages);
        return FALSE;
    }
    return TRUE;
}

/* A listener's language: a declared one, or the floor language (the floor). */
static gboolean check_listener(Call *call, const char *at, const CgConsultRecord *c,
                               const char *language)
{
    if (is_declared(c, language) || cg_language_tag_equal(language, c->floor_language))
        return TRUE;
    g_autofree char *field = g_strdup_printf("%slanguage", at);
    g_autofree char *languages = declared(c);
    cg_admin_reply_error(call, 400, "invalid_field", field,
                         "%s: %s is neither a language of this consult (%s) nor its "
                         "floor_language (%s)",
                         field, language, languages,
                         c->floor_language ? c->floor_language : "none");
    return FALSE;
}

gboolean cg_admin_parse_participant_language(Call *call, json_t *p, const char *at,
                                             const char *role, const CgConsultRecord *c,
                                             char **language, char **relay_from)
{
    g_autofree char *language_field = g_strdup_printf("%slanguage", at);
    g_autofree char *relay_field = g_strdup_printf("%srelay_from", at);
    json_t *lv = json_object_get(p, "language");
    json_t *rv = json_object_get(p, "relay_from");
    g_autofree char *lang = NULL, *relay = NULL;
    if ((lv && !json_is_null(lv) && !parse_tag(call, lv, language_field, &lang)) ||
        (rv && !json_is_null(rv) && !parse_tag(call, rv, relay_field, &relay)))
        return FALSE;
    gboolean interpreter = g_str_equal(role, "interpreter");
    if (interpreter && !check_interpreter(call, at, c, lang))
        return FALSE;
    if (!interpreter && lang && !check_listener(call, at, c, lang))
        return FALSE;
    if (relay && !check_relay(call, at, role, c, lang, relay))
        return FALSE;
    *language = g_steal_pointer(&lang);
    *relay_from = g_steal_pointer(&relay);
    return TRUE;
}

/* ---- PATCH: the stored interpreters against the new interpretation --------- */

static gboolean check_stored_interpreter(Call *call, const CgConsultRecord *c,
                                         const CgParticipantRecord *p)
{
    g_autofree char *languages = declared(c);
    if (!c->interpretation_mode) {
        cg_admin_reply_error(call, 400, "invalid_field", "interpretation",
                             "interpretation cannot be removed while participant %s is an "
                             "interpreter of this consult: remove the participant first",
                             p->id);
        return FALSE;
    }
    if (!p->language) {
        cg_admin_reply_error(call, 400, "invalid_field", "interpretation",
                             "participant %s is an interpreter without a language (added before "
                             "the consult had interpretation): remove it, then add it again with "
                             "a language",
                             p->id);
        return FALSE;
    }
    const char *missing = !is_declared(c, p->language)                      ? p->language
                          : p->relay_from && !is_declared(c, p->relay_from) ? p->relay_from
                                                                            : NULL;
    if (missing) {
        cg_admin_reply_error(call, 400, "invalid_field", "interpretation.languages",
                             "interpretation.languages (%s) must keep %s: interpreter %s %s it",
                             languages, missing, p->id,
                             missing == p->language ? "interprets into" : "relays from");
        return FALSE;
    }
    if (p->relay_from && g_str_equal(c->interpretation_mode, "consecutive")) {
        cg_admin_reply_error(call, 400, "invalid_field", "interpretation.mode",
                             "interpretation.mode cannot be consecutive while interpreter %s "
                             "relays from %s (relay needs simultaneous interpretation)",
                             p->id, p->relay_from);
        return FALSE;
    }
    return TRUE;
}

gboolean cg_admin_check_interpreters(Call *call, const CgConsultRecord *c)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) parts =
        cg_store_list_participants(call->api->store, c->tenant, c->id, &error);
    if (!parts) {
        cg_admin_reply_internal(call, "listing participants", error);
        return FALSE;
    }
    for (guint i = 0; i < parts->len; i++) {
        const CgParticipantRecord *p = parts->pdata[i];
        if (!p->removed && g_str_equal(p->role, "interpreter") &&
            !check_stored_interpreter(call, c, p))
            return FALSE;
    }
    return TRUE;
}

/* ---- JSON ----------------------------------------------------------------- */

void cg_admin_interpretation_json(json_t *j, const CgConsultRecord *c)
{
    json_t *interpretation = json_null();
    if (c->interpretation_mode) {
        json_t *languages = json_array();
        for (guint i = 0; c->interpretation_languages && c->interpretation_languages[i]; i++)
            json_array_append_new(languages, json_string(c->interpretation_languages[i]));
        interpretation =
            json_pack("{s:s, s:o}", "mode", c->interpretation_mode, "languages", languages);
    }
    json_object_set_new(j, "interpretation", interpretation);
    json_object_set_new(j, "floor_language",
                        c->floor_language ? json_string(c->floor_language) : json_null());
    json_object_set_new(j, "floor_level_db", json_integer(c->floor_level_db));
}

void cg_admin_participant_language_json(json_t *j, const CgParticipantRecord *p)
{
    json_object_set_new(j, "language", p->language ? json_string(p->language) : json_null());
    json_object_set_new(j, "relay_from", p->relay_from ? json_string(p->relay_from) : json_null());
}
