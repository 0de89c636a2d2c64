/* rtc_peer_faults.h — rtc_peer.c's misbehaviours for tests (rtc_peer_faults.c):
 * a subscriber that is slow to answer, one that lies about its bandwidth.
 * Private to tests/support; the public switches are in rtc_peer.h. */
#pragma once

#include "rtc_peer.h"

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _CgRtcPeerFaults CgRtcPeerFaults;

/* @events and @user: where released answers go (the peer's own). */
CgRtcPeerFaults *cg_rtc_peer_faults_new(const CgRtcPeerEvents *events, gpointer user);
void cg_rtc_peer_faults_free(CgRtcPeerFaults *faults);
/* While holding: keeps the answer for @pc (a copy) and returns TRUE; the
 * caller then sends nothing. */
gboolean cg_rtc_peer_faults_hold_answer(CgRtcPeerFaults *faults, const char *pc, const char *sdp);
/* Starts or stops holding; stopping sends what was held, in order. */
void cg_rtc_peer_faults_set_hold(CgRtcPeerFaults *faults, gboolean hold);
guint cg_rtc_peer_faults_n_held(const CgRtcPeerFaults *faults);
/* Notes a remote offer for the connection carrying @label; counts those
 * with a screen share m-line (a=content:slides). */
void cg_rtc_peer_faults_note_offer(CgRtcPeerFaults *faults, const char *label, const char *sdp);
guint cg_rtc_peer_faults_screen_offers(const CgRtcPeerFaults *faults, const char *label);
/* Counts the offers the peer sent ("pub"). */
void cg_rtc_peer_faults_note_sent_offer(CgRtcPeerFaults *faults);
guint cg_rtc_peer_faults_sent_offers(const CgRtcPeerFaults *faults);
/* Makes the RTP session of @webrtc (a sub connection's webrtcbin) add a REMB
 * of @bps to every RTCP packet it sends, with its RTCP interval cut so that
 * one goes out several times a second. */
void cg_rtc_peer_faults_lie_remb(GstElement *webrtc, guint bps);

G_END_DECLS
