/* protocol_errors.c — the one table of error codes (see protocol_errors.h). */
#include "protocol_errors.h"

/* Indexed by the enum: a designated initialiser per row, so a row that is
 * missing or out of place is a NULL name the unit test catches. */
static const struct {
    const char *name;
    CgCloseStatus status;
} codes[CG_ERROR_CODE_COUNT] = {
    [CG_ERROR_CODE_MALFORMED_MESSAGE] = {"malformed_message", CG_CLOSE_NONE},
    [CG_ERROR_CODE_UNKNOWN_TYPE] = {"unknown_type", CG_CLOSE_NONE},
    [CG_ERROR_CODE_NOT_JOINED] = {"not_joined", CG_CLOSE_NONE},
    [CG_ERROR_CODE_NOT_ADMITTED] = {"not_admitted", CG_CLOSE_NONE},
    [CG_ERROR_CODE_ALREADY_JOINED] = {"already_joined", CG_CLOSE_NONE},
    [CG_ERROR_CODE_UNKNOWN_PC] = {"unknown_pc", CG_CLOSE_NONE},
    [CG_ERROR_CODE_BAD_SDP] = {"bad_sdp", CG_CLOSE_NONE},
    [CG_ERROR_CODE_DTLS_REQUIRED] = {"dtls_required", CG_CLOSE_NONE},
    [CG_ERROR_CODE_NOT_ALLOWED] = {"not_allowed", CG_CLOSE_NONE},
    [CG_ERROR_CODE_UNKNOWN_PARTICIPANT] = {"unknown_participant", CG_CLOSE_NONE},
    [CG_ERROR_CODE_UNKNOWN_CHANNEL] = {"unknown_channel", CG_CLOSE_NONE},
    [CG_ERROR_CODE_CHANNEL_TAKEN] = {"channel_taken", CG_CLOSE_NONE},
    [CG_ERROR_CODE_NO_PARTNER] = {"no_partner", CG_CLOSE_NONE},
    [CG_ERROR_CODE_NOT_LIVE] = {"not_live", CG_CLOSE_NONE},
    [CG_ERROR_CODE_NOT_SIMULTANEOUS] = {"not_simultaneous", CG_CLOSE_NONE},
    [CG_ERROR_CODE_NO_INTERPRETATION] = {"no_interpretation", CG_CLOSE_NONE},
    [CG_ERROR_CODE_MESSAGE_TOO_BIG] = {"message_too_big", CG_CLOSE_MESSAGE_TOO_BIG},
    [CG_ERROR_CODE_BAD_TOKEN] = {"bad_token", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_TOKEN_EXPIRED] = {"token_expired", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_TOKEN_NOT_YET_VALID] = {"token_not_yet_valid", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_CONSULT_NOT_FOUND] = {"consult_not_found", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_CONSULT_NOT_OPEN_YET] = {"consult_not_open_yet", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_CONSULT_ENDED] = {"consult_ended", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_CONSULT_CANCELLED] = {"consult_cancelled", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_ROLE_NOT_ALLOWED] = {"role_not_allowed", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_PARTICIPANT_REMOVED] = {"participant_removed", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_DECLINED] = {"declined", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_CONSULT_FULL] = {"consult_full", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_SESSION_REPLACED] = {"session_replaced", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_RESUME_REFUSED] = {"resume_refused", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_TOO_MANY_FAILURES] = {"too_many_failures", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_TOO_MANY_ERRORS] = {"too_many_errors", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_JOIN_TIMEOUT] = {"join_timeout", CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_DTLS_FINGERPRINT_MISMATCH] = {"dtls_fingerprint_mismatch",
                                                 CG_CLOSE_POLICY_VIOLATION},
    [CG_ERROR_CODE_MEDIA_FAILED] = {"media_failed", CG_CLOSE_INTERNAL_ERROR},
    [CG_ERROR_CODE_INTERNAL] = {"internal", CG_CLOSE_INTERNAL_ERROR},
};

static gboolean in_range(CgErrorCode code)
{
    return (int)code >= 0 && code < CG_ERROR_CODE_COUNT && codes[code].name != NULL;
}

const char *cg_error_code_name(CgErrorCode code)
{
    return in_range(code) ? codes[code].name : codes[CG_ERROR_CODE_INTERNAL].name;
}

CgCloseStatus cg_error_code_close_status(CgErrorCode code)
{
    return in_range(code) ? codes[code].status : CG_CLOSE_INTERNAL_ERROR;
}

gboolean cg_error_code_from_name(const char *name, CgErrorCode *out)
{
    for (int i = 0; name && i < CG_ERROR_CODE_COUNT; i++) {
        if (codes[i].name && g_str_equal(name, codes[i].name)) {
            *out = (CgErrorCode)i;
            return TRUE;
        }
    }
    return FALSE;
}
