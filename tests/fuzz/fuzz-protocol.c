/* fuzz-protocol.c — fuzz target for cg_protocol_parse().
 *
 * Besides "no crash, no leak, no UB", it checks two invariants: a failed
 * parse leaves the message empty with an error code from the contract, and a
 * parsed offer/answer/candidate survives the server-side builder and a
 * second parse unchanged (builders and parser agree on the shape). */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    CgClientMessage msg;
    GError *error = NULL;
    if (cg_protocol_parse((const char *)data, size, &msg, &error)) {
        check_round_trip(&msg);
        cg_client_message_clear(&msg);
        return 0;
    }
    const char *code = cg_protocol_error_code(error);
    if (msg.token || msg.pc || msg.sdp || msg.candidate || strcmp(code, "internal") == 0)
        abort();
    char *reply = cg_protocol_error_message(code, error->message);
    if (reply == NULL)
        abort();
    g_free(reply);
    g_error_free(error);
    return 0;
}
