/* active_speaker.h — who is speaking in one consult (pure: no I/O, no clock).
 *
 * Fed with the voice levels media/ reports every CG_MEDIA_SPEECH_INTERVAL_MS
 * (RFC 6464: -dBov, 0 loudest), it names the active speaker so that clients
 * can highlight them. It holds on to a speaker through short pauses: another
 * participant takes over only when the speaker has not been heard for
 * CG_SPEAKER_HOLD_MS, or speaks CG_SPEAKER_BARGE_IN_DB louder. Time is passed
 * in (monotonic ms), so tests drive it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_SPEAKER_WINDOW_MS 700  /* a level counts for this long */
#define CG_SPEAKER_HOLD_MS 1500   /* the speaker keeps the floor through pauses this short */
#define CG_SPEAKER_BARGE_IN_DB 10 /* ... unless someone is this much louder */

typedef struct _CgActiveSpeaker CgActiveSpeaker;

CgActiveSpeaker *cg_active_speaker_new(void);
void cg_active_speaker_free(CgActiveSpeaker *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgActiveSpeaker, cg_active_speaker_free)

/* @participant (copied) was heard at @level_dbov (0..127) at @now_ms. Returns
 * (transfer none) the participant who has just become the active speaker, or
 * NULL if the speaker did not change. */
const char *cg_active_speaker_heard(CgActiveSpeaker *s, const char *participant, guint level_dbov,
                                    gint64 now_ms);
/* (transfer none) the current speaker, or NULL. */
const char *cg_active_speaker_current(const CgActiveSpeaker *s);
/* @participant left: forgotten (and no longer the speaker). */
void cg_active_speaker_forget(CgActiveSpeaker *s, const char *participant);
/* Nobody is remembered (every participant forgotten or never heard). */
gboolean cg_active_speaker_is_empty(const CgActiveSpeaker *s);

G_END_DECLS
