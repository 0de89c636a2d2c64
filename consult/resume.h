/* resume.h — the rules for a seat whose signaling socket dropped
 * (docs/protocol.md "Reconnecting").
 *
 * A joined endpoint's seat (its participant id, role, mute and media
 * endpoint) outlives its WebSocket when the socket drops without "leave": it
 * is held for consults.resume_grace_s, and a join carrying the same token and
 * the seat's resume id takes it back. This module makes the decisions: hold
 * or depart, resume or refuse, queue or give up. seats.c does the I/O.
 *
 * Pure: no I/O, clock or globals; "now" is passed in (seconds since the
 * epoch, UTC). Callable from any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the server has for a held seat waits in its outbox up to these
 * limits; one message more and the seat is given up at once, since an
 * endpoint that missed an offer or a departure could not re-sync its media. */
#define CG_RESUME_MAX_QUEUED_MESSAGES 256
#define CG_RESUME_MAX_QUEUED_BYTES (256 * 1024)

/* How a socket closed. */
typedef struct {
    gboolean joined;           /* admitted: a waiting endpoint holds no seat */
    gboolean left;             /* it sent "leave" */
    gboolean closed_by_server; /* the server closed it: an error, removal, end, replacement */
    gboolean shutting_down;    /* consultd is stopping: nobody could come back */
} CgSocketDrop;

/* Seconds to hold the seat of a socket that closed as @drop says, at @now;
 * 0 means the endpoint departs at once. The hold lasts @grace_s but never
 * past the last second the token verifies in (@token_exp + @clock_skew_s,
 * as jwt.h checks it), after which a resume would be refused anyway. */
guint cg_resume_hold_seconds(const CgSocketDrop *drop, guint grace_s, gint64 now, gint64 token_exp,
                             guint clock_skew_s);

typedef enum {
    CG_RESUME_OK,       /* take the seat back */
    CG_RESUME_NO_SEAT,  /* nothing is held for the participant: the grace ended, or it left */
    CG_RESUME_WRONG_ID, /* a seat is held, but under another resume id */
} CgResumeVerdict;

/* May a join offering @offered_id take the participant's seat, whose resume
 * id is @held_id (nullable: it has no seat)? Compares in constant time, so
 * the answer's timing says nothing about how much of an id was right. */
CgResumeVerdict cg_resume_check(const char *held_id, const char *offered_id);
/* (transfer none) why a resume was refused, for the error message. */
const char *cg_resume_refusal_message(CgResumeVerdict verdict);

/* Whether a held seat's outbox of @n_queued messages, @queued_bytes long,
 * takes one more of @len bytes. */
gboolean cg_resume_queue_has_room(guint n_queued, gsize queued_bytes, gsize len);

G_END_DECLS
