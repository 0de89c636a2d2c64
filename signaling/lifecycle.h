/* lifecycle.h — the live side of a consult, once peers are in it, in one
 * file per job:
 *   waiting_room.c  who waits, the specialists' live waiting list, presence;
 *   admission.c     "joined" (new or resumed seat), stored mutes, leaving;
 *   controls.c      a specialist's admit, decline, remove, mute, unmute, end;
 *   end_timers.c    the consults that have peers and their end timers
 *                   (starts_at + duration + grace), ending a consult;
 *   admin_live.c    the admin API's view of who is connected (CgAdminLive);
 *   peer_audit.c    audit records about peers and their actions;
 *   interpretation.c  channels and live interpreters (issue 11): members,
 *                   requests, the "interpretation" message, the daemon's event.
 * They share the server's private state (server-private.h). A seat taken
 * back after a dropped socket (seats.c) is told "joined" again from here
 * (cg_lifecycle_resumed), with the same participant and role.
 *
 * Every join, resume, refusal, admission, decline, removal, mute and end is
 * written to the audit log (audit.h). Main thread only. Not a public
 * interface: signaling/ only.
 */
#pragma once

#include "server-private.h"

/* ---- peer_audit.c ---- */
/* Appends an audit record (every member but @action and @outcome nullable);
 * a store failure is logged, never fatal to the caller. */
void cg_lifecycle_audit(CgSignaling *s, const char *remote, const char *tenant, const char *consult,
                        const char *participant, const char *role, const char *action,
                        const char *outcome);
/* The same about a peer that is joined or waiting (its info). */
void cg_lifecycle_audit_peer(const CgPeer *peer, const char *action, const char *outcome);
/* A specialist's (@actor's) action on @target_id, whose role is @target_role. */
void cg_lifecycle_audit_action(const CgPeer *actor, const char *target_id, const char *target_role,
                               const char *action, const char *outcome);

/* ---- end_timers.c ---- */
/* A peer of @consult is joining or waiting: track the consult, (re)arm its end timer. */
void cg_lifecycle_track(CgSignaling *s, const CgConsultRecord *consult);
/* At start: end timers for every consult whose window is open (after a
 * restart nobody may rejoin before it ends, yet it must end on time). */
void cg_lifecycle_rearm(CgSignaling *s);
/* @peer (joined or waiting) is going: waiting lists, consult bookkeeping. */
void cg_lifecycle_peer_gone(CgSignaling *s, CgPeer *peer);
void cg_lifecycle_free_consult(CgLiveConsult *consult);
/* Everyone in @consult_id (joined or waiting) is told and closed (1000). */
void cg_lifecycle_end_consult(CgSignaling *s, const char *consult_id, const char *reason);

/* ---- waiting_room.c ---- */
/* Puts @peer in the waiting room. */
void cg_lifecycle_wait(CgPeer *peer, const CgConsultRecord *consult);
/* Sends the waiting list to @only, or to every specialist present when NULL. */
void cg_lifecycle_send_waiting_list(CgSignaling *s, const char *consult_id, CgPeer *only);
/* Tells the waiting peers whether a specialist is there to admit them. */
void cg_lifecycle_tell_waiting_presence(CgSignaling *s, const char *consult_id);
/* The consult as joined and waiting show it; the times are written into
 * @starts and @ends, which the caller frees. */
CgProtocolConsult cg_lifecycle_protocol_consult(CgSignaling *s, const CgConsultRecord *c,
                                                char **starts, char **ends);

/* ---- admission.c ---- */
/* Admits @peer (waiting or just authorised): store, "joined", the others, media. */
void cg_lifecycle_admit(CgPeer *peer, const CgConsultRecord *consult);
/* @peer took its seat back on a new socket: "joined" (resumed) and, for a
 * specialist, the waiting list. */
void cg_lifecycle_resumed(CgPeer *peer, const CgConsultRecord *consult);
/* Tells @target and the others about a mute (or unmute) by @by_*. */
void cg_lifecycle_tell_muted(CgPeer *target, gboolean mute, const char *by_id, const char *by_name,
                             const char *by_role);

/* ---- controls.c ---- */
/* A specialist's admit/decline/remove/mute/unmute/end. */
void cg_lifecycle_control(CgPeer *peer, const CgClientMessage *msg);
/* Removes @target (joined or waiting) with @code, telling the specialists. */
void cg_lifecycle_drop_peer(CgPeer *target, const char *left_reason, CgErrorCode code,
                            const char *message);

/* ---- interpretation.c ---- */
/* @lc is tracked for @consult: its interpretation state is made once. */
void cg_interpretation_track(CgLiveConsult *lc, const CgConsultRecord *consult);
/* @peer was admitted: it becomes a member (before "joined" is built). */
void cg_interpretation_joined(CgPeer *peer);
/* After its "joined": everyone whose view changed hears it, and the daemon
 * is told (after media has the endpoint). */
void cg_interpretation_announce(CgPeer *peer);
/* @peer left (after media forgot it): no longer a member. */
void cg_interpretation_left(CgPeer *peer);
/* @peer's microphone state or enforced mute changed. */
void cg_interpretation_audio_changed(CgPeer *peer);
/* The admin API changed @consult: a new floor level, or new channels. */
void cg_interpretation_reconfigure(CgSignaling *s, const CgConsultRecord *consult);
/* A channel/go_live/take_over/hand_over/floor_level message of a joined peer. */
void cg_interpretation_handle(CgPeer *peer, const CgClientMessage *msg);
/* Sends @peer its "interpretation" message if it changed since the last one
 * (or always when @force); nothing outside simultaneous mode. */
void cg_interpretation_send_state(CgPeer *peer, gboolean force);

/* ---- admin_live.c ---- */
/* The admin API's view of the live side (admin_api.h). */
extern const CgAdminLive cg_lifecycle_admin_live;
