/* resume.c — see resume.h. */
#include "resume.h"

#include <string.h>

guint cg_resume_hold_seconds(const CgSocketDrop *drop, guint grace_s, gint64 now, gint64 token_exp,
                             guint clock_skew_s)
{
    if (!drop->joined || drop->left || drop->closed_by_server || drop->shutting_down)
        return 0;
    /* the token verifies through the whole second exp + skew (jwt.h) */
    gint64 token_left = token_exp + (gint64)clock_skew_s + 1 - now;
    if (token_left <= 0)
        return 0;
    return (guint)MIN((gint64)grace_s, token_left);
}

/* Equal length and bytes, in time that depends on the lengths only. */
static gboolean same_secret(const char *a, const char *b)
{
    gsize la = strlen(a), lb = strlen(b);
    guint8 diff = la != lb;
    for (gsize i = 0; i < MIN(la, lb); i++)
        diff |= (guint8)(a[i] ^ b[i]);
    return diff == 0;
}

CgResumeVerdict cg_resume_check(const char *held_id, const char *offered_id)
{
    if (!held_id)
        return CG_RESUME_NO_SEAT;
    if (!offered_id || !same_secret(held_id, offered_id))
        return CG_RESUME_WRONG_ID;
    return CG_RESUME_OK;
}

const char *cg_resume_refusal_message(CgResumeVerdict verdict)
{
    switch (verdict) {
    case CG_RESUME_NO_SEAT:
        return "no seat is held for you any more (the grace period ended); join again";
    case CG_RESUME_WRONG_ID:
        return "this resume id is not your seat's; join again";
    case CG_RESUME_OK:
    default:
        return "resumed";
    }
}

gboolean cg_resume_queue_has_room(guint n_queued, gsize queued_bytes, gsize len)
{
    return n_queued < CG_RESUME_MAX_QUEUED_MESSAGES && len <= CG_RESUME_MAX_QUEUED_BYTES &&
           queued_bytes <= CG_RESUME_MAX_QUEUED_BYTES - len;
}
