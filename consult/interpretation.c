/* interpretation.c — see interpretation.h. */
#include "interpretation.h"

#include <math.h>
#include <string.h>

#include "consult_rules.h"

/* clang-format off */
G_DEFINE_QUARK(cg-interp-error-quark, cg_interp_error)
/* clang-format on */

typedef struct {
    char *id;
    guint64 peer;
    char *role;
    gboolean interpreter;
    char *language;   /* interpreter: a declared language (canonical); listener: as given */
    char *relay_from; /* interpreter: a declared language other than its own, or NULL */
    gboolean audio;
    const char *channel; /* listener: CG_INTERP_FLOOR or a declared language (borrowed) */
    gboolean interpreter_only;
    gboolean offered;
} Member;

typedef struct {
    char *language;
    Member *live; /* borrowed from members */
} Channel;

struct _CgInterp {
    CgInterpMode mode;
    char **languages;
    char *floor_language;
    gint floor_db;
    Channel *channels; /* one per language */
    guint n_channels;
    GPtrArray *members; /* Member *, in join order */
};

CgErrorCode cg_interp_error_code(const GError *error)
{
    static const CgErrorCode codes[] = {
        [CG_INTERP_ERROR_NO_INTERPRETATION] = CG_ERROR_CODE_NO_INTERPRETATION,
        [CG_INTERP_ERROR_NOT_SIMULTANEOUS] = CG_ERROR_CODE_NOT_SIMULTANEOUS,
        [CG_INTERP_ERROR_NOT_ALLOWED] = CG_ERROR_CODE_NOT_ALLOWED,
        [CG_INTERP_ERROR_UNKNOWN_CHANNEL] = CG_ERROR_CODE_UNKNOWN_CHANNEL,
        [CG_INTERP_ERROR_CHANNEL_TAKEN] = CG_ERROR_CODE_CHANNEL_TAKEN,
        [CG_INTERP_ERROR_NO_PARTNER] = CG_ERROR_CODE_NO_PARTNER,
        [CG_INTERP_ERROR_NOT_LIVE] = CG_ERROR_CODE_NOT_LIVE,
        [CG_INTERP_ERROR_UNKNOWN_PARTICIPANT] = CG_ERROR_CODE_UNKNOWN_PARTICIPANT,
        [CG_INTERP_ERROR_OUT_OF_RANGE] = CG_ERROR_CODE_MALFORMED_MESSAGE,
    };
    if (!error || error->domain != CG_INTERP_ERROR || error->code < 0 ||
        (gsize)error->code >= G_N_ELEMENTS(codes))
        return CG_ERROR_CODE_INTERNAL;
    return codes[error->code];
}

static void member_free(Member *m)
{
    g_free(m->id);
    g_free(m->role);
    g_free(m->language);
    g_free(m->relay_from);
    g_free(m);
}

CgInterp *cg_interp_new(const char *mode, const char *const *languages, const char *floor_language,
                        gint floor_level_db)
{
    CgInterp *in = g_new0(CgInterp, 1);
    if (g_strcmp0(mode, "simultaneous") == 0)
        in->mode = CG_INTERP_MODE_SIMULTANEOUS;
    else if (g_strcmp0(mode, "consecutive") == 0)
        in->mode = CG_INTERP_MODE_CONSECUTIVE;
    GPtrArray *langs = g_ptr_array_new();
    for (guint i = 0; in->mode && languages && languages[i]; i++)
        g_ptr_array_add(langs, g_ascii_strdown(languages[i], -1));
    g_ptr_array_add(langs, NULL);
    in->languages = (char **)g_ptr_array_free(langs, FALSE);
    in->floor_language = g_strdup(floor_language);
    in->floor_db = CLAMP(floor_level_db, CG_INTERP_FLOOR_DB_MIN, CG_INTERP_FLOOR_DB_MAX);
    in->n_channels = g_strv_length(in->languages);
    in->channels = g_new0(Channel, in->n_channels ? in->n_channels : 1);
    for (guint i = 0; i < in->n_channels; i++)
        in->channels[i].language = in->languages[i];
    in->members = g_ptr_array_new_with_free_func((GDestroyNotify)member_free);
    return in;
}

CgInterp *cg_interp_new_for(const CgConsultRecord *c)
{
    return cg_interp_new(c->interpretation_mode, (const char *const *)c->interpretation_languages,
                         c->floor_language, c->floor_level_db);
}

void cg_interp_free(CgInterp *in)
{
    if (!in)
        return;
    g_ptr_array_unref(in->members);
    g_free(in->channels);
    g_strfreev(in->languages);
    g_free(in->floor_language);
    g_free(in);
}

CgInterpMode cg_interp_mode(const CgInterp *in)
{
    return in->mode;
}

const char *cg_interp_mode_name(const CgInterp *in)
{
    switch (in->mode) {
    case CG_INTERP_MODE_CONSECUTIVE:
        return "consecutive";
    case CG_INTERP_MODE_SIMULTANEOUS:
        return "simultaneous";
    default:
        return NULL;
    }
}

const char *const *cg_interp_languages(const CgInterp *in)
{
    return (const char *const *)in->languages;
}

const char *cg_interp_floor_language(const CgInterp *in)
{
    return in->floor_language;
}

gint cg_interp_floor_level_db(const CgInterp *in)
{
    return in->floor_db;
}

const char *cg_interp_find_language(const CgInterp *in, const char *tag)
{
    for (guint i = 0; tag && i < in->n_channels; i++)
        if (g_ascii_strcasecmp(in->languages[i], tag) == 0)
            return in->languages[i];
    return NULL;
}

static gboolean declared(const CgConsultRecord *c, const char *tag)
{
    for (guint i = 0; tag && c->interpretation_languages && c->interpretation_languages[i]; i++)
        if (g_ascii_strcasecmp(c->interpretation_languages[i], tag) == 0)
            return TRUE;
    return FALSE;
}

gboolean cg_interp_token_ok(const CgConsultRecord *c, const char *role, const char *language,
                            const char *relay_from, char **why)
{
    if (g_strcmp0(role, "interpreter") != 0)
        return TRUE; /* a listener's language is where it starts, nothing more */
    if (!c->interpretation_mode) {
        if (!language)
            return TRUE;
        *why = g_strdup("the token's language is for a consult with interpretation; "
                        "this consult has none");
        return FALSE;
    }
    if (!language || !declared(c, language)) {
        *why = g_strdup("the token's language must be one of the consult's interpretation "
                        "languages");
        return FALSE;
    }
    if (relay_from && (!declared(c, relay_from) || g_ascii_strcasecmp(relay_from, language) == 0)) {
        *why = g_strdup("the token's relay_from must be another of the consult's interpretation "
                        "languages");
        return FALSE;
    }
    return TRUE;
}

/* ---- members ---- */

static Member *find(const CgInterp *in, const char *id)
{
    for (guint i = 0; id && i < in->members->len; i++) {
        Member *m = g_ptr_array_index(in->members, i);
        if (g_str_equal(m->id, id))
            return m;
    }
    return NULL;
}

gboolean cg_interp_is_member(const CgInterp *in, const char *id)
{
    return find(in, id) != NULL;
}

static Channel *channel_of(CgInterp *in, const char *language)
{
    for (guint i = 0; language && i < in->n_channels; i++)
        if (g_str_equal(in->channels[i].language, language))
            return &in->channels[i];
    return NULL;
}

static gboolean is_partner(const Member *a, const Member *b)
{
    return a != b && a->interpreter && b->interpreter && g_strcmp0(a->language, b->language) == 0;
}

/* @m goes live on its channel; whoever was offered it no longer is. */
static void make_live(CgInterp *in, Channel *ch, Member *m)
{
    ch->live = m;
    for (guint i = 0; i < in->members->len; i++) {
        Member *o = g_ptr_array_index(in->members, i);
        if (o->interpreter && g_strcmp0(o->language, ch->language) == 0)
            o->offered = FALSE;
    }
}

void cg_interp_join(CgInterp *in, const CgInterpJoin *j)
{
    cg_interp_leave(in, j->participant_id);
    Member *m = g_new0(Member, 1);
    m->id = g_strdup(j->participant_id);
    m->peer = j->peer;
    m->role = g_strdup(j->role);
    m->audio = j->audio;
    const char *lang = cg_interp_find_language(in, j->language);
    m->interpreter = g_strcmp0(j->role, "interpreter") == 0 && lang != NULL;
    if (m->interpreter) {
        m->language = g_strdup(lang);
        const char *relay = cg_interp_find_language(in, j->relay_from);
        m->relay_from = relay && relay != lang ? g_strdup(relay) : NULL;
    } else {
        m->language = g_strdup(j->language);
        m->channel = lang ? lang : CG_INTERP_FLOOR;
    }
    g_ptr_array_add(in->members, m);
    Channel *ch = m->interpreter ? channel_of(in, m->language) : NULL;
    if (ch && !ch->live)
        make_live(in, ch, m);
}

void cg_interp_leave(CgInterp *in, const char *id)
{
    Member *m = find(in, id);
    if (!m)
        return;
    Channel *ch = m->interpreter ? channel_of(in, m->language) : NULL;
    if (ch && ch->live == m) {
        ch->live = NULL;
        for (guint i = 0; i < in->members->len; i++) {
            Member *o = g_ptr_array_index(in->members, i);
            if (is_partner(m, o))
                o->offered = TRUE;
        }
    }
    g_ptr_array_remove(in->members, m);
}

void cg_interp_set_audio(CgInterp *in, const char *id, gboolean on)
{
    Member *m = find(in, id);
    if (m)
        m->audio = on;
}

static gboolean same_strv(char **a, char **b)
{
    guint n = a ? g_strv_length(a) : 0;
    if (n != (b ? g_strv_length(b) : 0))
        return FALSE;
    for (guint i = 0; i < n; i++)
        if (g_ascii_strcasecmp(a[i], b[i]) != 0)
            return FALSE;
    return TRUE;
}

gboolean cg_interp_reconfigure(CgInterp *in, const CgConsultRecord *c)
{
    g_autoptr(CgInterp) next = cg_interp_new_for(c);
    gboolean floor_changed = next->floor_db != in->floor_db;
    in->floor_db = next->floor_db;
    if (next->mode == in->mode && same_strv(next->languages, in->languages) &&
        g_strcmp0(next->floor_language, in->floor_language) == 0)
        return floor_changed;
    /* channels changed: everyone joins the new ones again, from the defaults */
    for (guint i = 0; i < in->members->len; i++) {
        const Member *m = g_ptr_array_index(in->members, i);
        CgInterpJoin j = {.participant_id = m->id,
                          .peer = m->peer,
                          .role = m->role,
                          .language = m->language,
                          .relay_from = m->relay_from,
                          .audio = m->audio};
        cg_interp_join(next, &j);
    }
    CgInterp swap = *in;
    *in = *next;
    *next = swap;
    return TRUE;
}

/* ---- requests ---- */

static gboolean refuse(GError **error, CgInterpError code, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static gboolean refuse(GError **error, CgInterpError code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *text = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, CG_INTERP_ERROR, code, text);
    return FALSE;
}

static gboolean mode_ok(const CgInterp *in, GError **error)
{
    if (in->mode == CG_INTERP_MODE_NONE)
        return refuse(error, CG_INTERP_ERROR_NO_INTERPRETATION,
                      "this consult has no interpretation");
    if (in->mode != CG_INTERP_MODE_SIMULTANEOUS)
        return refuse(error, CG_INTERP_ERROR_NOT_SIMULTANEOUS,
                      "this consult's interpretation is consecutive: it has no channels");
    return TRUE;
}

/* The member @id, which must be (or not be) an interpreter. */
static Member *requester(CgInterp *in, const char *id, gboolean interpreter, GError **error)
{
    if (!mode_ok(in, error))
        return NULL;
    Member *m = find(in, id);
    if (!m || m->interpreter != interpreter) {
        refuse(error, CG_INTERP_ERROR_NOT_ALLOWED,
               interpreter ? "only an interpreter may do that"
                           : "interpreters speak into their own channel and do not choose one");
        return NULL;
    }
    return m;
}

gboolean cg_interp_set_channel(CgInterp *in, const char *id, const char *channel,
                               gboolean interpreter_only, GError **error)
{
    Member *m = requester(in, id, FALSE, error);
    if (!m)
        return FALSE;
    const char *lang = cg_interp_find_language(in, channel);
    if (!lang && g_strcmp0(channel, CG_INTERP_FLOOR) != 0)
        return refuse(error, CG_INTERP_ERROR_UNKNOWN_CHANNEL,
                      "no such channel: use \"floor\" or one of the consult's languages");
    m->channel = lang ? lang : CG_INTERP_FLOOR;
    m->interpreter_only = lang ? interpreter_only : FALSE;
    return TRUE;
}

gboolean cg_interp_go_live(CgInterp *in, const char *id, GError **error)
{
    Member *m = requester(in, id, TRUE, error);
    if (!m)
        return FALSE;
    Channel *ch = channel_of(in, m->language);
    if (ch->live && ch->live != m)
        return refuse(error, CG_INTERP_ERROR_CHANNEL_TAKEN,
                      "%s is live on %s: use take_over to take the channel from them", ch->live->id,
                      ch->language);
    if (!ch->live)
        make_live(in, ch, m);
    return TRUE;
}

gboolean cg_interp_take_over(CgInterp *in, const char *id, char **previous, GError **error)
{
    Member *m = requester(in, id, TRUE, error);
    if (!m)
        return FALSE;
    Channel *ch = channel_of(in, m->language);
    if (previous)
        *previous = ch->live && ch->live != m ? g_strdup(ch->live->id) : NULL;
    make_live(in, ch, m);
    return TRUE;
}

gboolean cg_interp_hand_over(CgInterp *in, const char *id, const char *to, char **chosen,
                             GError **error)
{
    Member *m = requester(in, id, TRUE, error);
    if (!m)
        return FALSE;
    Channel *ch = channel_of(in, m->language);
    if (ch->live != m)
        return refuse(error, CG_INTERP_ERROR_NOT_LIVE,
                      "you are not live on %s: only the live interpreter hands over", ch->language);
    Member *partner = NULL;
    for (guint i = 0; !partner && i < in->members->len; i++) {
        Member *o = g_ptr_array_index(in->members, i);
        if (is_partner(m, o) && (!to || g_str_equal(o->id, to)))
            partner = o;
    }
    if (!partner && to)
        return refuse(error, CG_INTERP_ERROR_UNKNOWN_PARTICIPANT,
                      "\"to\" names no booth partner of yours in this consult");
    if (!partner)
        return refuse(error, CG_INTERP_ERROR_NO_PARTNER,
                      "no booth partner of %s is here to hand over to", ch->language);
    make_live(in, ch, partner);
    if (chosen)
        *chosen = g_strdup(partner->id);
    return TRUE;
}

gboolean cg_interp_check_floor_level(const CgInterp *in, const char *id, gint db, GError **error)
{
    if (!mode_ok(in, error))
        return FALSE;
    Member *m = find(in, id);
    if (!m || !cg_role_may_moderate(m->role))
        return refuse(error, CG_INTERP_ERROR_NOT_ALLOWED, "only a specialist sets the floor level");
    if (db < CG_INTERP_FLOOR_DB_MIN || db > CG_INTERP_FLOOR_DB_MAX)
        return refuse(error, CG_INTERP_ERROR_OUT_OF_RANGE,
                      "member 'db' must be an integer from -40 to 0");
    return TRUE;
}

void cg_interp_set_floor_level(CgInterp *in, gint db)
{
    in->floor_db = CLAMP(db, CG_INTERP_FLOOR_DB_MIN, CG_INTERP_FLOOR_DB_MAX);
}

/* ---- views ---- */

/* (transfer container) NULL-terminated ids of @language's interpreters but @except. */
static const char **interpreters_of(const CgInterp *in, const char *language, const Member *except)
{
    GPtrArray *ids = g_ptr_array_new();
    for (guint i = 0; i < in->members->len; i++) {
        Member *o = g_ptr_array_index(in->members, i);
        if (o != except && o->interpreter && g_str_equal(o->language, language))
            g_ptr_array_add(ids, o->id);
    }
    g_ptr_array_add(ids, NULL);
    return (const char **)g_ptr_array_free(ids, FALSE);
}

gboolean cg_interp_view(const CgInterp *in, const char *id, CgInterpView *out)
{
    memset(out, 0, sizeof *out);
    Member *m = find(in, id);
    if (in->mode != CG_INTERP_MODE_SIMULTANEOUS || !m)
        return FALSE;
    out->floor_level_db = in->floor_db;
    out->n_channels = in->n_channels;
    out->channels = g_new0(CgInterpChannelView, in->n_channels ? in->n_channels : 1);
    for (guint i = 0; i < in->n_channels; i++) {
        const Channel *ch = &in->channels[i];
        out->channels[i].language = ch->language;
        out->channels[i].live = ch->live ? ch->live->id : NULL;
        out->channels[i].live_muted = ch->live && !ch->live->audio;
        out->channels[i].interpreters = interpreters_of(in, ch->language, NULL);
    }
    out->interpreter = m->interpreter;
    if (m->interpreter) {
        out->language = m->language;
        out->live = channel_of((CgInterp *)in, m->language)->live == m;
        out->relay_from = m->relay_from;
        out->partners = interpreters_of(in, m->language, m);
        out->offered = m->offered;
    } else {
        out->channel = m->channel;
        out->interpreter_only = m->interpreter_only;
    }
    return TRUE;
}

void cg_interp_view_clear(CgInterpView *v)
{
    for (guint i = 0; v->channels && i < v->n_channels; i++)
        g_free(v->channels[i].interpreters);
    g_free(v->channels);
    g_free(v->partners);
    memset(v, 0, sizeof *v);
}

/* ---- the plan ---- */

double cg_interp_db_to_gain(double db)
{
    return pow(10.0, db / 20.0);
}

/* The effectively-live interpreter of @language, or NULL. */
static const Member *effective_live(const CgInterp *in, const char *language)
{
    const Channel *ch = channel_of((CgInterp *)in, language);
    return ch && ch->live && ch->live->audio ? ch->live : NULL;
}

static void add_input(CgInterpMix *mix, guint64 peer, double gain)
{
    CgInterpInput input = {peer, gain};
    g_array_append_val(mix->inputs, input);
}

/* The floor speakers but @except (nullable) at @gain. */
static void add_floor(const CgInterp *in, CgInterpMix *mix, double gain, const Member *except)
{
    for (guint i = 0; i < in->members->len; i++) {
        const Member *o = g_ptr_array_index(in->members, i);
        if (!o->interpreter && o != except)
            add_input(mix, o->peer, gain);
    }
}

static CgInterpMix *mix_new(char *key)
{
    CgInterpMix *mix = g_new0(CgInterpMix, 1);
    mix->key = key;
    mix->inputs = g_array_new(FALSE, FALSE, sizeof(CgInterpInput));
    return mix;
}

static void mix_free(CgInterpMix *mix)
{
    g_free(mix->key);
    g_array_unref(mix->inputs);
    g_free(mix);
}

/* (transfer full) the key of the mix @m listens to, or NULL (floor, or no
 * channels at all). A listener whose microphone is on gets its channel
 * without its own voice ("~<id>"), or it would hear itself, late; the
 * others on a channel share one mix. */
static char *listen_key(const CgInterp *in, const Member *m)
{
    if (in->mode != CG_INTERP_MODE_SIMULTANEOUS)
        return NULL;
    if (m->interpreter)
        return g_strdup_printf("interp:%s", m->id);
    if (g_str_equal(m->channel, CG_INTERP_FLOOR))
        return NULL;
    return g_strdup_printf("ch:%s%s%s%s", m->channel, m->interpreter_only ? ":only" : "",
                           m->audio ? "~" : "", m->audio ? m->id : "");
}

/* The mix of listener @m's channel: the floor under the live interpreter
 * (never @m itself when its microphone is on); the channel's other
 * interpreters at 0. */
static CgInterpMix *channel_mix(const CgInterp *in, const Member *m)
{
    const char *language = m->channel;
    CgInterpMix *mix = mix_new(listen_key(in, m));
    const Member *live = effective_live(in, language);
    double floor = !live ? 1.0 : m->interpreter_only ? 0.0 : cg_interp_db_to_gain(in->floor_db);
    add_floor(in, mix, floor, m->audio ? m : NULL);
    for (guint i = 0; i < in->members->len; i++) {
        const Member *o = g_ptr_array_index(in->members, i);
        if (o->interpreter && g_str_equal(o->language, language))
            add_input(mix, o->peer, o == live ? 1.0 : 0.0);
    }
    return mix;
}

/* "interp:<id>": the source at 1.0 and the booth partners on talk-back. */
static CgInterpMix *interpreter_mix(const CgInterp *in, const Member *m)
{
    CgInterpMix *mix = mix_new(g_strdup_printf("interp:%s", m->id));
    const Member *relay = m->relay_from ? effective_live(in, m->relay_from) : NULL;
    if (relay)
        add_input(mix, relay->peer, 1.0);
    else
        add_floor(in, mix, 1.0, NULL);
    for (guint i = 0; i < in->members->len; i++) {
        const Member *o = g_ptr_array_index(in->members, i);
        if (is_partner(m, o))
            add_input(mix, o->peer, cg_interp_db_to_gain(CG_INTERP_TALKBACK_DB));
    }
    return mix;
}

static gint mix_cmp(gconstpointer a, gconstpointer b)
{
    const CgInterpMix *x = *(CgInterpMix *const *)a, *y = *(CgInterpMix *const *)b;
    return strcmp(x->key, y->key);
}

CgInterpPlan *cg_interp_plan(const CgInterp *in)
{
    gboolean simultaneous = in->mode == CG_INTERP_MODE_SIMULTANEOUS;
    CgInterpPlan *plan = g_new0(CgInterpPlan, 1);
    plan->mixes = g_ptr_array_new_with_free_func((GDestroyNotify)mix_free);
    plan->endpoints = g_array_new(FALSE, FALSE, sizeof(CgInterpEndpoint));
    /* mixes only while listened to: one per distinct key of a member */
    for (guint i = 0; i < in->members->len; i++) {
        const Member *m = g_ptr_array_index(in->members, i);
        g_autofree char *key = listen_key(in, m);
        if (!key || cg_interp_plan_mix(plan, key))
            continue;
        g_ptr_array_add(plan->mixes, m->interpreter ? interpreter_mix(in, m) : channel_mix(in, m));
    }
    g_ptr_array_sort(plan->mixes, mix_cmp);
    for (guint i = 0; i < in->members->len; i++) {
        const Member *m = g_ptr_array_index(in->members, i);
        g_autofree char *key = listen_key(in, m);
        const CgInterpMix *mix = cg_interp_plan_mix(plan, key);
        CgInterpEndpoint ep = {
            .peer = m->peer,
            .participant_id = m->id,
            .listen = mix ? mix->key : NULL, /* the plan's own copy */
            .receive_relayed_audio = key == NULL,
            .audio_relayed = !(simultaneous && m->interpreter),
        };
        g_array_append_val(plan->endpoints, ep);
    }
    return plan;
}

void cg_interp_plan_free(CgInterpPlan *plan)
{
    if (!plan)
        return;
    g_ptr_array_unref(plan->mixes);
    g_array_unref(plan->endpoints);
    g_free(plan);
}

const CgInterpMix *cg_interp_plan_mix(const CgInterpPlan *plan, const char *key)
{
    for (guint i = 0; key && i < plan->mixes->len; i++) {
        const CgInterpMix *mix = g_ptr_array_index(plan->mixes, i);
        if (g_str_equal(mix->key, key))
            return mix;
    }
    return NULL;
}

const CgInterpEndpoint *cg_interp_plan_endpoint(const CgInterpPlan *plan, guint64 peer)
{
    for (guint i = 0; i < plan->endpoints->len; i++) {
        const CgInterpEndpoint *ep = &g_array_index(plan->endpoints, CgInterpEndpoint, i);
        if (ep->peer == peer)
            return ep;
    }
    return NULL;
}
