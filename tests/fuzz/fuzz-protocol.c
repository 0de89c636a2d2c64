/* fuzz-protocol.c — fuzz target for cg_protocol_parse().
 *
 * Besides "no crash, no leak, no UB", it checks two invariants: a failed
 * parse leaves the message empty with an error code from the contract, and a
 * parsed offer/answer/candidate survives the server-side builder and a
 * second parse unchanged (builders and parser agree on the shape). The
 * strings a client controls (ids, names, tokens) also go through every
 * builder of the participant, waiting-room and interpretation messages, whose output must
 * stay one valid JSON object of the right type with the string intact. */
#include "fuzz.h"
#include "protocol.h"

#include <stdlib.h>
#include <string.h>

static void check_round_trip(const CgClientMessage *msg)
{
    g_autofree char *text = NULL;
    if (msg->type == CG_CLIENT_OFFER || msg->type == CG_CLIENT_ANSWER)
        text = cg_protocol_description(msg->type == CG_CLIENT_OFFER ? "offer" : "answer", msg->pc,
                                       NULL, msg->sdp);
    else if (msg->type == CG_CLIENT_CANDIDATE)
        text = cg_protocol_candidate(msg->pc, msg->mline_index, msg->candidate);
    else
        return;

    CgClientMessage again;
    if (!cg_protocol_parse(text, strlen(text), &again, NULL))
        abort();
    if (again.type != msg->type || g_strcmp0(again.pc, msg->pc) != 0 ||
        g_strcmp0(again.sdp, msg->sdp) != 0 || g_strcmp0(again.candidate, msg->candidate) != 0 ||
        again.mline_index != msg->mline_index)
        abort();
    cg_client_message_clear(&again);
}

/* @text must be one JSON object of @type whose @member is @want. */
static void check_built(char *text, const char *type, const char *member, const char *want)
{
    json_t *v = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(v) || g_strcmp0(json_string_value(json_object_get(v, "type")), type) != 0)
        abort();
    json_t *m = json_object_get(v, member);
    if (json_is_object(m))
        m = json_object_get(m, "id");
    /* builders replace bytes that are not UTF-8: compare only what is valid */
    if (g_utf8_validate(want, -1, NULL) && g_strcmp0(json_string_value(m), want) != 0)
        abort();
    json_decref(v);
    g_free(text);
}

/* The server-side builders with client-controlled strings in every slot. */
static void check_builders(const char *s)
{
    CgProtocolParticipant p = {.id = s, .role = s, .name = s, .audio = TRUE, .video = FALSE};
    CgProtocolConsult c = {s, s, s, s, s, s};
    check_built(cg_protocol_participant_joined(&p), "participant_joined", "participant", s);
    check_built(cg_protocol_participant_left(s, s), "participant_left", "participant", s);
    check_built(cg_protocol_participant_muted(s, TRUE, s), "participant_muted", "participant", s);
    check_built(cg_protocol_participant_media_state(s, FALSE, TRUE), "participant_media_state",
                "participant", s);
    check_built(cg_protocol_waiting(&p, &c, TRUE), "waiting", "you", s);
    CgProtocolJoined j = {.you = p,
                          .consult = c,
                          .participants = &p,
                          .n_participants = 1,
                          .resume_id = s,
                          .resume_grace_s = 20};
    check_built(cg_protocol_joined(&j), "joined", "you", s);
    check_built(cg_protocol_waiting_list(&p, 1), "waiting_list", "type", "waiting_list");
    const char *const ids[] = {s, NULL};
    CgProtocolChannel channel = {.language = s, .live = s, .interpreters = ids};
    CgProtocolInterpretation listener = {
        .floor_level_db = -15, .channels = &channel, .n_channels = 1, .channel = s};
    check_built(cg_protocol_interpretation(&listener), "interpretation", "type", "interpretation");
    CgProtocolInterpretation interpreter = {.channels = &channel,
                                            .n_channels = 1,
                                            .interpreter = TRUE,
                                            .language = s,
                                            .relay_from = s,
                                            .partners = ids};
    check_built(cg_protocol_interpretation(&interpreter), "interpretation", "type",
                "interpretation");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    CgClientMessage msg;
    GError *error = NULL;
    if (cg_protocol_parse((const char *)data, size, &msg, &error)) {
        check_round_trip(&msg);
        const char *s = msg.participant ? msg.participant
                        : msg.token     ? msg.token
                        : msg.resume    ? msg.resume
                        : msg.channel   ? msg.channel
                                        : msg.to;
        if (s)
            check_builders(s);
        cg_client_message_clear(&msg);
        return 0;
    }
    CgErrorCode code = cg_protocol_error_code(error);
    if (msg.token || msg.pc || msg.sdp || msg.candidate || code == CG_ERROR_CODE_INTERNAL)
        abort();
    char *reply = cg_protocol_error_message(code, error->message);
    if (reply == NULL)
        abort();
    g_free(reply);
    g_error_free(error);
    return 0;
}
