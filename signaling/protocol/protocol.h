/* protocol.h — the endpoint WebSocket protocol codec (docs/protocol.md).
 *
 * Pure: no sockets, loop, clock or globals; callable from any thread.
 * cg_protocol_parse() turns one client text frame into a CgClientMessage,
 * enforcing the limits of the contract (JSON nesting, SDP and candidate size,
 * pc names, m-line index) so later code only sees well-formed values. Its
 * error codes map 1:1 onto the protocol's "error" codes
 * (cg_protocol_error_code()). The frame size limit is the server's job.
 * The builders make every server->client message as compact JSON: no other
 * module writes a message of its own, so the fuzzer (tests/fuzz/
 * fuzz-protocol.c) and docs/protocol.md see the whole wire format here.
 * Error codes and their close statuses are protocol_errors.h's.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "protocol_errors.h"

G_BEGIN_DECLS

/* Limits of docs/protocol.md, set here once. */
#define CG_PROTOCOL_MAX_DEPTH 8              /* JSON nesting levels, top object is 1 */
#define CG_PROTOCOL_MAX_SDP_BYTES 32768      /* "sdp" member */
#define CG_PROTOCOL_MAX_CANDIDATE_BYTES 1024 /* "candidate" member */
#define CG_PROTOCOL_MAX_PC_CHARS 32          /* "pc": 1..32 of [a-z0-9-] */
#define CG_PROTOCOL_MAX_MLINE_INDEX 63       /* "sdpMLineIndex": 0..63 */
#define CG_PROTOCOL_MAX_ID_CHARS 64          /* "participant", "resume": 1..64 printable ASCII */
#define CG_PROTOCOL_MAX_CHANNEL_CHARS 35     /* "channel": a BCP 47 tag or "floor" */
#define CG_PROTOCOL_FLOOR_DB_MIN (-40)       /* "db" of floor_level: an integer -40..0 */
#define CG_PROTOCOL_FLOOR_DB_MAX 0

typedef enum {
    CG_CLIENT_JOIN,
    CG_CLIENT_OFFER,
    CG_CLIENT_ANSWER,
    CG_CLIENT_CANDIDATE,
    CG_CLIENT_LEAVE,
    /* Specialist controls (docs/protocol.md "Specialist controls"). */
    CG_CLIENT_ADMIT,
    CG_CLIENT_DECLINE,
    CG_CLIENT_REMOVE,
    CG_CLIENT_MUTE,
    CG_CLIENT_UNMUTE,
    CG_CLIENT_END,
    CG_CLIENT_MEDIA_STATE,
    CG_CLIENT_RECEIVE,
    /* Interpretation (docs/protocol.md "Interpretation"). */
    CG_CLIENT_CHANNEL,
    CG_CLIENT_GO_LIVE,
    CG_CLIENT_TAKE_OVER,
    CG_CLIENT_HAND_OVER,
    CG_CLIENT_FLOOR_LEVEL,
} CgClientMessageType;

/* Members not used by a type are NULL / 0. */
typedef struct {
    CgClientMessageType type;
    char *token;               /* join */
    char *resume;              /* join: the resume id of a held seat, or NULL for a new seat */
    char *pc;                  /* offer, answer, candidate */
    char *sdp;                 /* offer, answer */
    char *candidate;           /* candidate ("" = end of candidates) */
    guint mline_index;         /* candidate */
    char *participant;         /* admit, decline, remove, mute, unmute */
    gboolean audio;            /* media_state: the microphone is on */
    gboolean video;            /* media_state: the camera is on; receive: send me video */
    char *channel;             /* channel: "floor" or a language tag (letters, digits, '-') */
    gboolean interpreter_only; /* channel (optional, default false) */
    char *to;                  /* hand_over: the partner's participant id, or NULL */
    gint db;                   /* floor_level: -40..0 */
} CgClientMessage;

#define CG_PROTOCOL_ERROR (cg_protocol_error_quark())
GQuark cg_protocol_error_quark(void);

typedef enum {
    CG_PROTOCOL_ERROR_MALFORMED,    /* "malformed_message" */
    CG_PROTOCOL_ERROR_UNKNOWN_TYPE, /* "unknown_type" */
    CG_PROTOCOL_ERROR_BAD_SDP,      /* "bad_sdp": the sdp member exceeds the size limit */
} CgProtocolError;

/* Parses @len bytes at @data (not necessarily NUL-terminated) as one client
 * message. On success fills @out (overwritten, not cleared first), which the
 * caller releases with cg_client_message_clear(). On failure @out is zeroed
 * and @error is set in CG_PROTOCOL_ERROR; its message names the bad member
 * and never echoes member values. */
gboolean cg_protocol_parse(const char *data, gsize len, CgClientMessage *out, GError **error);

/* Frees the members of @msg and zeroes it; NULL is accepted. */
void cg_client_message_clear(CgClientMessage *msg);

/* The protocol "code" for an error from cg_protocol_parse():
 * malformed_message, unknown_type or bad_sdp. Any other error gives internal. */
CgErrorCode cg_protocol_error_code(const GError *error);

/* Consumes @json (steals its reference) and returns its compact text
 * (transfer full, g_free). Shared by every JSON producer of signaling/. */
char *cg_json_take_text(json_t *json);

/* Builders of server->client messages. Each returns (transfer full, g_free) a
 * compact JSON object text. String arguments must be non-NULL unless marked
 * nullable; bytes that are not UTF-8 are replaced (U+FFFD), so the result is
 * always valid JSON. */
char *cg_protocol_error_message(CgErrorCode code, const char *message);
/* @type is "offer" or "answer"; @participant (nullable) is omitted when NULL. */
char *cg_protocol_description(const char *type, const char *pc, const char *participant,
                              const char *sdp);
char *cg_protocol_candidate(const char *pc, guint mline_index, const char *candidate);
char *cg_protocol_pc_closed(const char *pc);
char *cg_protocol_bye(const char *reason);
/* An error that also says when the consult opens (consult_not_open_yet);
 * @opens_at is RFC 3339 UTC. */
char *cg_protocol_error_opens(CgErrorCode code, const char *message, const char *opens_at);
/* {"type":"consult_ended","reason":...}: sent to everyone before the close. */
char *cg_protocol_consult_ended(const char *reason);
/* {"type":"muted"|"unmuted","by":{id,name,role},"may_unmute":bool}; @type is
 * "muted" or "unmuted" (may_unmute is left out of "unmuted"). */
char *cg_protocol_muted(const char *type, const char *by_id, const char *by_name,
                        const char *by_role, gboolean may_unmute);

/* One endpoint's link, for its own client. "sent" is what the endpoint sends
 * (as consultd receives it), "received" what consultd sends it (from its
 * receiver reports). Negative values are unknown and written as null. */
typedef struct {
    guint interval_ms;
    const char *quality; /* "good", "fair", "poor", "unknown" */
    double rtt_ms;
    double sent_kbps, sent_loss_pct, sent_jitter_ms;
    double received_kbps, received_loss_pct, received_jitter_ms;
} CgProtocolStats;
/* {"type":"stats","interval_ms":2000,"quality":...,"rtt_ms":...,
 *  "sent":{"kbps","loss_pct","jitter_ms"},"received":{...}} */
char *cg_protocol_stats(const CgProtocolStats *stats);
/* {"type":"active_speaker","participant":...} to everyone in the consult. */
char *cg_protocol_active_speaker(const char *participant);

/* A participant as the others (and itself) see it. */
typedef struct {
    const char *id;
    const char *role;
    const char *name;
    gboolean audio;       /* what it last said of its microphone (media_state) */
    gboolean video;       /* ... and of its camera */
    const char *language; /* (nullable) its interpretation language; no member when NULL */
} CgProtocolParticipant;
/* (transfer full) {"id","role","name","audio","video"[,"language"]}: the participant
 * object of every message, and of the admin API's live view (so the two
 * never differ). */
json_t *cg_protocol_participant_json(const CgProtocolParticipant *p);

/* A consult as joined and waiting show it; times are RFC 3339 UTC. */
typedef struct {
    const char *id;
    const char *title;
    const char *kind;
    const char *specialty;
    const char *starts_at;
    const char *ends_at; /* when the server ends it */
} CgProtocolConsult;

/* Everything "joined" says. */
typedef struct {
    CgProtocolParticipant you;
    CgProtocolConsult consult;
    const CgProtocolParticipant *participants; /* the others admitted now */
    guint n_participants;
    json_t *ice_servers; /* (transfer none) turn_credentials.h's array */
    guint max_message_bytes;
    const char *resume_id; /* (nullable) no "resume" member when NULL (resuming off) */
    guint resume_grace_s;
    gboolean resumed; /* the answer to a join that took a held seat back */
    gboolean muted;   /* a specialist's stored mute holds */
    /* the consult's interpretation: no member when @interpretation_mode is NULL */
    const char *interpretation_mode;             /* "consecutive" | "simultaneous" */
    const char *const *interpretation_languages; /* NULL-terminated */
    const char *floor_language;                  /* nullable: null in the message */
} CgProtocolJoined;
/* {"type":"joined","you":{..},"consult":{..},"participants":[..],
 *  "ice_servers":[..],"limits":{"max_message_bytes":N}
 *  [,"resume":{"id","grace_s"}][,"resumed":true][,"muted":true]
 *  [,"interpretation":{"mode","languages":[..],"floor_language"}]} */
char *cg_protocol_joined(const CgProtocolJoined *joined);
/* {"type":"waiting","you":{..},"consult":{..},"specialist_present":bool} */
char *cg_protocol_waiting(const CgProtocolParticipant *you, const CgProtocolConsult *consult,
                          gboolean specialist_present);
/* {"type":"waiting_status","specialist_present":bool} */
char *cg_protocol_waiting_status(gboolean specialist_present);
/* {"type":"waiting_list","waiting":[{..}, ...]}; @waiting may be NULL when @n is 0. */
char *cg_protocol_waiting_list(const CgProtocolParticipant *waiting, guint n);
/* {"type":"participant_joined","participant":{..}} */
char *cg_protocol_participant_joined(const CgProtocolParticipant *participant);
/* {"type":"participant_left","participant":id,"reason":...} */
char *cg_protocol_participant_left(const char *participant, const char *reason);
/* {"type":"participant_muted","participant":id,"muted":bool,"by":id} */
char *cg_protocol_participant_muted(const char *participant, gboolean muted, const char *by);
/* {"type":"participant_media_state","participant":id,"audio":bool,"video":bool} */
char *cg_protocol_participant_media_state(const char *participant, gboolean audio, gboolean video);

/* One language channel as the "interpretation" message shows it. */
typedef struct {
    const char *language;
    const char *live; /* nullable: null */
    gboolean live_muted;
    const char *const *interpreters; /* NULL-terminated participant ids */
} CgProtocolChannel;

/* The "interpretation" message to one endpoint (personalised "you"). */
typedef struct {
    gint floor_level_db;
    const CgProtocolChannel *channels;
    guint n_channels;
    gboolean interpreter;
    /* a listener: "you":{"channel","interpreter_only"} */
    const char *channel;
    gboolean interpreter_only;
    /* an interpreter: "you":{"interpreter":true,"language","live","relay_from",
     * "partners","offered"} */
    const char *language;
    gboolean live;
    const char *relay_from;      /* nullable: null */
    const char *const *partners; /* NULL-terminated */
    gboolean offered;
} CgProtocolInterpretation;
/* {"type":"interpretation","floor_level_db":N,"channels":[{"language","live",
 *  "live_muted","interpreters":[..]}, ..],"you":{..}} */
char *cg_protocol_interpretation(const CgProtocolInterpretation *state);

G_END_DECLS
