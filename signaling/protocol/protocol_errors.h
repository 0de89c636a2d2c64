/* protocol_errors.h — the protocol's "error" codes (docs/protocol.md "error")
 * and how each one ends its socket.
 *
 * Pure: one table, no state; callable from any thread. Every code the server
 * sends is a CgErrorCode; its wire name and its close status come from the
 * one table in protocol_errors.c, so the names, the statuses and the docs'
 * table cannot drift apart. The close statuses are RFC 6455 numbers (the
 * server hands them to libwebsockets, whose enum has the same values).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    /* the socket stays open */
    CG_ERROR_CODE_MALFORMED_MESSAGE,
    CG_ERROR_CODE_UNKNOWN_TYPE,
    CG_ERROR_CODE_NOT_JOINED,
    CG_ERROR_CODE_NOT_ADMITTED,
    CG_ERROR_CODE_ALREADY_JOINED,
    CG_ERROR_CODE_UNKNOWN_PC,
    CG_ERROR_CODE_BAD_SDP,
    CG_ERROR_CODE_DTLS_REQUIRED,
    CG_ERROR_CODE_NOT_ALLOWED,
    CG_ERROR_CODE_UNKNOWN_PARTICIPANT,
    /* interpretation (issue 11) */
    CG_ERROR_CODE_UNKNOWN_CHANNEL,
    CG_ERROR_CODE_CHANNEL_TAKEN,
    CG_ERROR_CODE_NO_PARTNER,
    CG_ERROR_CODE_NOT_LIVE,
    CG_ERROR_CODE_NOT_SIMULTANEOUS,
    CG_ERROR_CODE_NO_INTERPRETATION,
    /* the socket is closed */
    CG_ERROR_CODE_MESSAGE_TOO_BIG,
    CG_ERROR_CODE_BAD_TOKEN,
    CG_ERROR_CODE_TOKEN_EXPIRED,
    CG_ERROR_CODE_TOKEN_NOT_YET_VALID,
    CG_ERROR_CODE_CONSULT_NOT_FOUND,
    CG_ERROR_CODE_CONSULT_NOT_OPEN_YET,
    CG_ERROR_CODE_CONSULT_ENDED,
    CG_ERROR_CODE_CONSULT_CANCELLED,
    CG_ERROR_CODE_ROLE_NOT_ALLOWED,
    CG_ERROR_CODE_PARTICIPANT_REMOVED,
    CG_ERROR_CODE_DECLINED,
    CG_ERROR_CODE_CONSULT_FULL,
    CG_ERROR_CODE_SESSION_REPLACED,
    CG_ERROR_CODE_RESUME_REFUSED,
    CG_ERROR_CODE_TOO_MANY_FAILURES,
    CG_ERROR_CODE_TOO_MANY_ERRORS,
    CG_ERROR_CODE_JOIN_TIMEOUT,
    CG_ERROR_CODE_DTLS_FINGERPRINT_MISMATCH,
    CG_ERROR_CODE_MEDIA_FAILED,
    CG_ERROR_CODE_INTERNAL,
    CG_ERROR_CODE_COUNT /* not a code */
} CgErrorCode;

/* RFC 6455 §7.4.1 close statuses the server uses; 0 = the socket stays open. */
typedef enum {
    CG_CLOSE_NONE = 0,
    CG_CLOSE_NORMAL = 1000,
    CG_CLOSE_GOING_AWAY = 1001,
    CG_CLOSE_PROTOCOL_ERROR = 1002,
    CG_CLOSE_POLICY_VIOLATION = 1008,
    CG_CLOSE_MESSAGE_TOO_BIG = 1009,
    CG_CLOSE_INTERNAL_ERROR = 1011,
} CgCloseStatus;

/* (transfer none) the wire name of @code ("bad_token"); "internal" for a
 * value outside the enum. */
const char *cg_error_code_name(CgErrorCode code);
/* The close status @code ends its socket with (CG_CLOSE_NONE: stays open);
 * CG_CLOSE_INTERNAL_ERROR for a value outside the enum. */
CgCloseStatus cg_error_code_close_status(CgErrorCode code);
/* The code named @name into @out; FALSE (and @out untouched) when no code
 * has that name. For tests and tools: the server itself only uses the enum. */
gboolean cg_error_code_from_name(const char *name, CgErrorCode *out);

G_END_DECLS
