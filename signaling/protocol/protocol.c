/* protocol.c — client message parser and server message builders (see protocol.h).
 *
 * Parse order: JSON (duplicates refused; jansson refuses "\u0000" and bad
 * UTF-8 and bounds its own recursion), object, nesting depth, "type", then the
 * members that type needs. Extra members are ignored for forward
 * compatibility.
 */
#include "protocol.h"

#include <jansson.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(cg-protocol-error-quark, cg_protocol_error)
/* clang-format on */

void cg_client_message_clear(CgClientMessage *msg)
{
    if (msg == NULL)
        return;
    g_clear_pointer(&msg->token, g_free);
    g_clear_pointer(&msg->pc, g_free);
    g_clear_pointer(&msg->sdp, g_free);
    g_clear_pointer(&msg->candidate, g_free);
    g_clear_pointer(&msg->participant, g_free);
    g_clear_pointer(&msg->resume, g_free);
    g_clear_pointer(&msg->channel, g_free);
    g_clear_pointer(&msg->to, g_free);
    memset(msg, 0, sizeof *msg);
}

CgErrorCode cg_protocol_error_code(const GError *error)
{
    if (error == NULL || error->domain != CG_PROTOCOL_ERROR)
        return CG_ERROR_CODE_INTERNAL;
    switch ((CgProtocolError)error->code) {
    case CG_PROTOCOL_ERROR_MALFORMED:
        return CG_ERROR_CODE_MALFORMED_MESSAGE;
    case CG_PROTOCOL_ERROR_UNKNOWN_TYPE:
        return CG_ERROR_CODE_UNKNOWN_TYPE;
    case CG_PROTOCOL_ERROR_BAD_SDP:
        return CG_ERROR_CODE_BAD_SDP;
    }
    return CG_ERROR_CODE_INTERNAL;
}

/* ---- parsing ---- */

/* TRUE if @v nests no deeper than CG_PROTOCOL_MAX_DEPTH containers, counting
 * the level @v sits at as @depth. Recursion is bounded by the limit. */
static gboolean depth_ok(json_t *v, int depth)
{
    if (!json_is_object(v) && !json_is_array(v))
        return TRUE;
    if (depth > CG_PROTOCOL_MAX_DEPTH)
        return FALSE;
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach(v, key, child)
        {
            if (!depth_ok(child, depth + 1))
                return FALSE;
        }
    } else {
        gsize i;
        json_t *child;
        json_array_foreach(v, i, child)
        {
            if (!depth_ok(child, depth + 1))
                return FALSE;
        }
    }
    return TRUE;
}

static gboolean malformed(GError **error, const char *member, const char *what)
{
    g_set_error(error, CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_MALFORMED, "member '%s' must be %s",
                member, what);
    return FALSE;
}

static gboolean get_string(json_t *root, const char *member, char **out, GError **error)
{
    json_t *v = json_object_get(root, member);
    if (!json_is_string(v))
        return malformed(error, member, "a string");
    *out = g_strdup(json_string_value(v)); /* NUL-free: JSON_ALLOW_NUL is not set */
    return TRUE;
}

static gboolean pc_name_ok(const char *pc)
{
    gsize n = strlen(pc);
    if (n == 0 || n > CG_PROTOCOL_MAX_PC_CHARS)
        return FALSE;
    for (gsize i = 0; i < n; i++) {
        char c = pc[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return FALSE;
    }
    return TRUE;
}

static gboolean get_pc(json_t *root, CgClientMessage *out, GError **error)
{
    if (!get_string(root, "pc", &out->pc, error))
        return FALSE;
    if (!pc_name_ok(out->pc))
        return malformed(error, "pc", "1 to 32 characters of a-z, 0-9 and '-'");
    return TRUE;
}

static gboolean parse_description(json_t *root, CgClientMessage *out, GError **error)
{
    if (!get_pc(root, out, error) || !get_string(root, "sdp", &out->sdp, error))
        return FALSE;
    if (strlen(out->sdp) > CG_PROTOCOL_MAX_SDP_BYTES) {
        g_set_error(error, CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_BAD_SDP,
                    "member 'sdp' exceeds %d bytes", CG_PROTOCOL_MAX_SDP_BYTES);
        return FALSE;
    }
    return TRUE;
}

static gboolean parse_candidate(json_t *root, CgClientMessage *out, GError **error)
{
    if (!get_pc(root, out, error) || !get_string(root, "candidate", &out->candidate, error))
        return FALSE;
    if (strlen(out->candidate) > CG_PROTOCOL_MAX_CANDIDATE_BYTES)
        return malformed(error, "candidate", "at most 1024 bytes");
    json_t *idx = json_object_get(root, "sdpMLineIndex");
    if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
        json_integer_value(idx) > CG_PROTOCOL_MAX_MLINE_INDEX)
        return malformed(error, "sdpMLineIndex", "an integer from 0 to 63");
    out->mline_index = (guint)json_integer_value(idx);
    return TRUE;
}

/* Participant and resume ids: 1..CG_PROTOCOL_MAX_ID_CHARS printable ASCII. */
static gboolean id_ok(const char *id)
{
    gsize n = strlen(id);
    gboolean ok = n > 0 && n <= CG_PROTOCOL_MAX_ID_CHARS;
    for (gsize i = 0; ok && i < n; i++)
        ok = id[i] > 0x20 && id[i] < 0x7f;
    return ok;
}

static gboolean parse_participant(json_t *root, CgClientMessage *out, GError **error)
{
    if (!get_string(root, "participant", &out->participant, error))
        return FALSE;
    if (!id_ok(out->participant))
        return malformed(error, "participant", "1 to 64 printable ASCII characters");
    return TRUE;
}

/* join: the token, and the resume id of a seat to take back (optional). */
static gboolean parse_join(json_t *root, CgClientMessage *out, GError **error)
{
    if (!get_string(root, "token", &out->token, error))
        return FALSE;
    if (!json_object_get(root, "resume"))
        return TRUE;
    if (!json_is_string(json_object_get(root, "resume")) ||
        !id_ok(json_string_value(json_object_get(root, "resume"))))
        return malformed(error, "resume", "1 to 64 printable ASCII characters");
    out->resume = g_strdup(json_string_value(json_object_get(root, "resume")));
    return TRUE;
}

/* "channel": "floor" or a language tag; "interpreter_only" optional. */
static gboolean parse_channel(json_t *root, CgClientMessage *out, GError **error)
{
    if (!get_string(root, "channel", &out->channel, error))
        return FALSE;
    gsize n = strlen(out->channel);
    gboolean ok = n > 0 && n <= CG_PROTOCOL_MAX_CHANNEL_CHARS;
    for (gsize i = 0; ok && i < n; i++)
        ok = g_ascii_isalnum(out->channel[i]) || out->channel[i] == '-';
    if (!ok)
        return malformed(error, "channel", "\"floor\" or a language tag (letters, digits, '-')");
    json_t *only = json_object_get(root, "interpreter_only");
    if (only && !json_is_boolean(only))
        return malformed(error, "interpreter_only", "a boolean");
    out->interpreter_only = json_is_true(only);
    return TRUE;
}

/* "hand_over": "to" is optional. */
static gboolean parse_hand_over(json_t *root, CgClientMessage *out, GError **error)
{
    json_t *to = json_object_get(root, "to");
    if (!to)
        return TRUE;
    if (!json_is_string(to) || !id_ok(json_string_value(to)))
        return malformed(error, "to", "1 to 64 printable ASCII characters");
    out->to = g_strdup(json_string_value(to));
    return TRUE;
}

static gboolean parse_floor_level(json_t *root, CgClientMessage *out, GError **error)
{
    json_t *db = json_object_get(root, "db");
    if (!json_is_integer(db) || json_integer_value(db) < CG_PROTOCOL_FLOOR_DB_MIN ||
        json_integer_value(db) > CG_PROTOCOL_FLOOR_DB_MAX)
        return malformed(error, "db", "an integer from -40 to 0");
    out->db = (gint)json_integer_value(db);
    return TRUE;
}

/* Client messages that name a participant, and "end". */
static const struct {
    const char *name;
    CgClientMessageType type;
    gboolean has_participant;
} control_types[] = {
    {"admit", CG_CLIENT_ADMIT, TRUE},   {"decline", CG_CLIENT_DECLINE, TRUE},
    {"remove", CG_CLIENT_REMOVE, TRUE}, {"mute", CG_CLIENT_MUTE, TRUE},
    {"unmute", CG_CLIENT_UNMUTE, TRUE}, {"end", CG_CLIENT_END, FALSE},
};

static gboolean parse_members(json_t *root, CgClientMessage *out, GError **error)
{
    json_t *type = json_object_get(root, "type");
    if (!json_is_string(type))
        return malformed(error, "type", "a string");
    const char *t = json_string_value(type);
    if (strcmp(t, "join") == 0) {
        out->type = CG_CLIENT_JOIN;
        return parse_join(root, out, error);
    } else if (strcmp(t, "offer") == 0) {
        out->type = CG_CLIENT_OFFER;
        return parse_description(root, out, error);
    } else if (strcmp(t, "answer") == 0) {
        out->type = CG_CLIENT_ANSWER;
        return parse_description(root, out, error);
    } else if (strcmp(t, "candidate") == 0) {
        out->type = CG_CLIENT_CANDIDATE;
        return parse_candidate(root, out, error);
    } else if (strcmp(t, "leave") == 0) {
        out->type = CG_CLIENT_LEAVE;
        return TRUE;
    } else if (strcmp(t, "receive") == 0) {
        out->type = CG_CLIENT_RECEIVE;
        json_t *video = json_object_get(root, "video");
        if (!json_is_boolean(video))
            return malformed(error, "video", "a boolean");
        out->video = json_is_true(video);
        return TRUE;
    } else if (strcmp(t, "channel") == 0) {
        out->type = CG_CLIENT_CHANNEL;
        return parse_channel(root, out, error);
    } else if (strcmp(t, "go_live") == 0) {
        out->type = CG_CLIENT_GO_LIVE;
        return TRUE;
    } else if (strcmp(t, "take_over") == 0) {
        out->type = CG_CLIENT_TAKE_OVER;
        return TRUE;
    } else if (strcmp(t, "hand_over") == 0) {
        out->type = CG_CLIENT_HAND_OVER;
        return parse_hand_over(root, out, error);
    } else if (strcmp(t, "floor_level") == 0) {
        out->type = CG_CLIENT_FLOOR_LEVEL;
        return parse_floor_level(root, out, error);
    } else if (strcmp(t, "media_state") == 0) {
        out->type = CG_CLIENT_MEDIA_STATE;
        json_t *audio = json_object_get(root, "audio"), *video = json_object_get(root, "video");
        if (!json_is_boolean(audio))
            return malformed(error, "audio", "a boolean");
        if (!json_is_boolean(video))
            return malformed(error, "video", "a boolean");
        out->audio = json_is_true(audio);
        out->video = json_is_true(video);
        return TRUE;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(control_types); i++) {
        if (strcmp(t, control_types[i].name) == 0) {
            out->type = control_types[i].type;
            return !control_types[i].has_participant || parse_participant(root, out, error);
        }
    }
    g_set_error_literal(error, CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_UNKNOWN_TYPE,
                        "message type is not known");
    return FALSE;
}

gboolean cg_protocol_parse(const char *data, gsize len, CgClientMessage *out, GError **error)
{
    g_return_val_if_fail(data != NULL || len == 0, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    memset(out, 0, sizeof *out);
    /* json_loadb() reads exactly @len bytes: a raw NUL inside is a syntax
     * error, trailing bytes after the value are refused. */
    json_t *root = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES, NULL);
    gboolean ok = FALSE;
    if (root == NULL) {
        g_set_error_literal(error, CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_MALFORMED,
                            "message is not valid JSON");
    } else if (!json_is_object(root)) {
        g_set_error_literal(error, CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_MALFORMED,
                            "message is not a JSON object");
    } else if (!depth_ok(root, 1)) {
        g_set_error(error, CG_PROTOCOL_ERROR, CG_PROTOCOL_ERROR_MALFORMED,
                    "message nests deeper than %d levels", CG_PROTOCOL_MAX_DEPTH);
    } else {
        ok = parse_members(root, out, error);
    }
    json_decref(root);
    if (!ok)
        cg_client_message_clear(out);
    return ok;
}

/* ---- builders ---- */

static json_t *utf8_string(const char *s)
{
    if (g_utf8_validate(s, -1, NULL))
        return json_string(s);
    g_autofree char *valid = g_utf8_make_valid(s, -1);
    return json_string(valid);
}

/* Adds "key": @s; @s NULL is a caller bug and leaves the member out. */
static void set_string(json_t *obj, const char *key, const char *s)
{
    g_return_if_fail(s != NULL);
    json_object_set_new(obj, key, utf8_string(s));
}

char *cg_json_take_text(json_t *obj)
{
    /* measurements are rounded to 0.1: six significant digits print them exactly */
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(obj);
    if (text == NULL)
        g_error("cannot serialise a protocol message"); /* out of memory */
    char *copy = g_strdup(text);
    free(text);
    return copy;
}

static json_t *message(const char *type)
{
    json_t *obj = json_object();
    json_object_set_new(obj, "type", json_string(type));
    return obj;
}

char *cg_protocol_error_message(CgErrorCode code, const char *message_text)
{
    json_t *obj = message("error");
    set_string(obj, "code", cg_error_code_name(code));
    set_string(obj, "message", message_text);
    return cg_json_take_text(obj);
}

char *cg_protocol_description(const char *type, const char *pc, const char *participant,
                              const char *sdp)
{
    g_return_val_if_fail(type != NULL, NULL);
    json_t *obj = message(type);
    set_string(obj, "pc", pc);
    if (participant != NULL)
        set_string(obj, "participant", participant);
    set_string(obj, "sdp", sdp);
    return cg_json_take_text(obj);
}

char *cg_protocol_candidate(const char *pc, guint mline_index, const char *candidate)
{
    json_t *obj = message("candidate");
    set_string(obj, "pc", pc);
    json_object_set_new(obj, "sdpMLineIndex", json_integer((json_int_t)mline_index));
    set_string(obj, "candidate", candidate);
    return cg_json_take_text(obj);
}

char *cg_protocol_pc_closed(const char *pc)
{
    json_t *obj = message("pc_closed");
    set_string(obj, "pc", pc);
    return cg_json_take_text(obj);
}

char *cg_protocol_bye(const char *reason)
{
    json_t *obj = message("bye");
    set_string(obj, "reason", reason);
    return cg_json_take_text(obj);
}

char *cg_protocol_error_opens(CgErrorCode code, const char *message_text, const char *opens_at)
{
    json_t *obj = message("error");
    set_string(obj, "code", cg_error_code_name(code));
    set_string(obj, "message", message_text);
    set_string(obj, "opens_at", opens_at);
    return cg_json_take_text(obj);
}

char *cg_protocol_consult_ended(const char *reason)
{
    json_t *obj = message("consult_ended");
    set_string(obj, "reason", reason);
    return cg_json_take_text(obj);
}

char *cg_protocol_muted(const char *type, const char *by_id, const char *by_name,
                        const char *by_role, gboolean may_unmute)
{
    g_return_val_if_fail(type != NULL, NULL);
    json_t *obj = message(type);
    json_t *by = json_object();
    set_string(by, "id", by_id);
    set_string(by, "name", by_name);
    set_string(by, "role", by_role);
    json_object_set_new(obj, "by", by);
    if (g_str_equal(type, "muted"))
        json_object_set_new(obj, "may_unmute", json_boolean(may_unmute));
    return cg_json_take_text(obj);
}

/* A measured value rounded to 0.1, or null when unknown (negative). */
static json_t *measure(double value)
{
    return value < 0 ? json_null() : json_real(((gint64)(value * 10 + 0.5)) / 10.0);
}

static json_t *direction(double kbps, double loss_pct, double jitter_ms)
{
    json_t *d = json_object();
    json_object_set_new(d, "kbps", measure(kbps));
    json_object_set_new(d, "loss_pct", measure(loss_pct));
    json_object_set_new(d, "jitter_ms", measure(jitter_ms));
    return d;
}

char *cg_protocol_stats(const CgProtocolStats *s)
{
    g_return_val_if_fail(s != NULL, NULL);
    json_t *obj = message("stats");
    json_object_set_new(obj, "interval_ms", json_integer(s->interval_ms));
    set_string(obj, "quality", s->quality);
    json_object_set_new(obj, "rtt_ms", measure(s->rtt_ms));
    json_object_set_new(obj, "sent", direction(s->sent_kbps, s->sent_loss_pct, s->sent_jitter_ms));
    json_object_set_new(obj, "received",
                        direction(s->received_kbps, s->received_loss_pct, s->received_jitter_ms));
    return cg_json_take_text(obj);
}

char *cg_protocol_active_speaker(const char *participant)
{
    json_t *obj = message("active_speaker");
    set_string(obj, "participant", participant);
    return cg_json_take_text(obj);
}

/* ---- participants, the waiting room, joined ---- */

json_t *cg_protocol_participant_json(const CgProtocolParticipant *p)
{
    json_t *obj = json_object();
    set_string(obj, "id", p->id);
    set_string(obj, "role", p->role);
    set_string(obj, "name", p->name);
    json_object_set_new(obj, "audio", json_boolean(p->audio));
    json_object_set_new(obj, "video", json_boolean(p->video));
    if (p->language)
        set_string(obj, "language", p->language);
    return obj;
}

static json_t *participant_array(const CgProtocolParticipant *list, guint n)
{
    json_t *array = json_array();
    for (guint i = 0; i < n; i++)
        json_array_append_new(array, cg_protocol_participant_json(&list[i]));
    return array;
}

/* A NULL-terminated list (nullable: empty) as a JSON array of strings. */
static json_t *string_array(const char *const *list)
{
    json_t *array = json_array();
    for (guint i = 0; list && list[i]; i++)
        json_array_append_new(array, utf8_string(list[i]));
    return array;
}

static json_t *nullable_string(const char *s)
{
    return s ? utf8_string(s) : json_null();
}

static json_t *consult_json(const CgProtocolConsult *c)
{
    json_t *obj = json_object();
    set_string(obj, "id", c->id);
    set_string(obj, "title", c->title);
    set_string(obj, "kind", c->kind);
    set_string(obj, "specialty", c->specialty);
    set_string(obj, "starts_at", c->starts_at);
    set_string(obj, "ends_at", c->ends_at);
    return obj;
}

char *cg_protocol_joined(const CgProtocolJoined *j)
{
    g_return_val_if_fail(j != NULL, NULL);
    json_t *obj = message("joined");
    json_object_set_new(obj, "you", cg_protocol_participant_json(&j->you));
    json_object_set_new(obj, "consult", consult_json(&j->consult));
    json_object_set_new(obj, "participants", participant_array(j->participants, j->n_participants));
    json_object_set_new(obj, "ice_servers",
                        j->ice_servers ? json_incref(j->ice_servers) : json_array());
    json_t *limits = json_object();
    json_object_set_new(limits, "max_message_bytes", json_integer(j->max_message_bytes));
    json_object_set_new(obj, "limits", limits);
    if (j->resume_id) {
        json_t *resume = json_object();
        set_string(resume, "id", j->resume_id);
        json_object_set_new(resume, "grace_s", json_integer(j->resume_grace_s));
        json_object_set_new(obj, "resume", resume);
    }
    if (j->resumed)
        json_object_set_new(obj, "resumed", json_true());
    if (j->muted)
        json_object_set_new(obj, "muted", json_true());
    if (j->interpretation_mode) {
        json_t *in = json_object();
        set_string(in, "mode", j->interpretation_mode);
        json_object_set_new(in, "languages", string_array(j->interpretation_languages));
        json_object_set_new(in, "floor_language", nullable_string(j->floor_language));
        json_object_set_new(obj, "interpretation", in);
    }
    return cg_json_take_text(obj);
}

char *cg_protocol_waiting(const CgProtocolParticipant *you, const CgProtocolConsult *consult,
                          gboolean specialist_present)
{
    json_t *obj = message("waiting");
    json_object_set_new(obj, "you", cg_protocol_participant_json(you));
    json_object_set_new(obj, "consult", consult_json(consult));
    json_object_set_new(obj, "specialist_present", json_boolean(specialist_present));
    return cg_json_take_text(obj);
}

char *cg_protocol_waiting_status(gboolean specialist_present)
{
    json_t *obj = message("waiting_status");
    json_object_set_new(obj, "specialist_present", json_boolean(specialist_present));
    return cg_json_take_text(obj);
}

char *cg_protocol_waiting_list(const CgProtocolParticipant *waiting, guint n)
{
    json_t *obj = message("waiting_list");
    json_object_set_new(obj, "waiting", participant_array(waiting, n));
    return cg_json_take_text(obj);
}

char *cg_protocol_participant_joined(const CgProtocolParticipant *participant)
{
    json_t *obj = message("participant_joined");
    json_object_set_new(obj, "participant", cg_protocol_participant_json(participant));
    return cg_json_take_text(obj);
}

char *cg_protocol_participant_left(const char *participant, const char *reason)
{
    json_t *obj = message("participant_left");
    set_string(obj, "participant", participant);
    set_string(obj, "reason", reason);
    return cg_json_take_text(obj);
}

char *cg_protocol_participant_muted(const char *participant, gboolean muted, const char *by)
{
    json_t *obj = message("participant_muted");
    set_string(obj, "participant", participant);
    json_object_set_new(obj, "muted", json_boolean(muted));
    set_string(obj, "by", by);
    return cg_json_take_text(obj);
}

char *cg_protocol_participant_media_state(const char *participant, gboolean audio, gboolean video)
{
    json_t *obj = message("participant_media_state");
    set_string(obj, "participant", participant);
    json_object_set_new(obj, "audio", json_boolean(audio));
    json_object_set_new(obj, "video", json_boolean(video));
    return cg_json_take_text(obj);
}

/* ---- interpretation ---- */

static json_t *interpretation_you(const CgProtocolInterpretation *st)
{
    json_t *you = json_object();
    if (!st->interpreter) {
        set_string(you, "channel", st->channel);
        json_object_set_new(you, "interpreter_only", json_boolean(st->interpreter_only));
        return you;
    }
    json_object_set_new(you, "interpreter", json_true());
    set_string(you, "language", st->language);
    json_object_set_new(you, "live", json_boolean(st->live));
    json_object_set_new(you, "relay_from", nullable_string(st->relay_from));
    json_object_set_new(you, "partners", string_array(st->partners));
    json_object_set_new(you, "offered", json_boolean(st->offered));
    return you;
}

char *cg_protocol_interpretation(const CgProtocolInterpretation *st)
{
    g_return_val_if_fail(st != NULL, NULL);
    json_t *obj = message("interpretation");
    json_object_set_new(obj, "floor_level_db", json_integer(st->floor_level_db));
    json_t *channels = json_array();
    for (guint i = 0; i < st->n_channels; i++) {
        const CgProtocolChannel *c = &st->channels[i];
        json_t *ch = json_object();
        set_string(ch, "language", c->language);
        json_object_set_new(ch, "live", nullable_string(c->live));
        json_object_set_new(ch, "live_muted", json_boolean(c->live_muted));
        json_object_set_new(ch, "interpreters", string_array(c->interpreters));
        json_array_append_new(channels, ch);
    }
    json_object_set_new(obj, "channels", channels);
    json_object_set_new(obj, "you", interpretation_you(st));
    return cg_json_take_text(obj);
}
