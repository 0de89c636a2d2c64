/* interp_fixture.h — the steps of the interpretation tests (issue 11,
 * docs/protocol.md "Interpretation"): a consult with interpretation and
 * participants with a language through the admin API, endpoints that
 * publish a tone (or stay silent) and hear the mix slot ("mix"), the
 * interpretation messages sent and read, and tone levels read steadily.
 *
 * Every step asserts and says what happened instead, as consult_fixture.h.
 * Threads: the thread-default main context; the waits iterate it.
 */
#pragma once

#include "consult_fixture.h"

G_BEGIN_DECLS

/* The tone frequencies of the tests (INTERP-SPEC "Constants"). */
#define CG_FX_HZ_SPECIALIST 440.0
#define CG_FX_HZ_PROVIDER 660.0
#define CG_FX_HZ_ES 1000.0
#define CG_FX_HZ_ES_PARTNER 1200.0
#define CG_FX_HZ_AR 1500.0
/* The label of the mix slot's audio (rtc_peer.h). */
#define CG_FX_MIX "mix"

typedef struct {
    const char *role;       /* specialist, provider, patient, interpreter, observer */
    const char *language;   /* nullable */
    const char *relay_from; /* nullable */
} CgFxParty;

/* (transfer full) a virtual consult of tenant 0 starting now with
 * "interpretation": {"mode": @mode, "languages": @languages} (@mode NULL:
 * none), @floor_language (nullable) and the parties of @parties up to the
 * one whose role is NULL; ids and tokens in request order. */
CgTestConsult *cg_fx_interp_consult_new(CgTestDaemon *daemon, const char *mode,
                                        const char *const *languages, const char *floor_language,
                                        const CgFxParty *parties);

/* The listeners' jitter buffer: short, as a browser's on a quiet network, so
 * that timings are mostly the server's, yet not zero, so that a test client
 * starved of CPU does not drop what it reads late. */
#define CG_FX_JITTER_MS 40

/* (transfer full) an endpoint joined with @token (admitting whoever waits)
 * that publishes audio only: a @hz sine of amplitude @volume (1.0 = full
 * scale), or silence when @hz is 0 (a listener: every non-interpreter is a
 * floor speaker, so listeners stay silent). It receives as a browser does:
 * a CG_FX_JITTER_MS jitter buffer, Opus PLC and FEC for what is lost
 * anyway (rtc_peer.h repair_loss). @loss_pct: uplink audio loss. */
CgTestEndpoint *cg_fx_join_tone(CgTestDaemon *daemon, const char *token, double hz, double volume,
                                guint loss_pct);

/* Client -> server messages. go_live and take_over: cg_fx_send(ep, type, NULL). */
void cg_fx_send_channel(CgTestEndpoint *ep, const char *channel, gboolean interpreter_only);
void cg_fx_send_hand_over(CgTestEndpoint *ep, const char *to);
void cg_fx_send_floor_level(CgTestEndpoint *ep, int db);

/* (transfer none) channel @language of @interp (an "interpretation" message), or NULL. */
json_t *cg_fx_interp_channel(json_t *interp, const char *language);
/* Waits until @ep's newest "interpretation" says the live interpreter of
 * @language is @live (NULL: nobody); fails showing the newest one. */
void cg_fx_expect_live(CgTestEndpoint *ep, const char *language, const char *live);
/* Waits until @ep's newest "interpretation" has you.channel == @channel. */
void cg_fx_expect_channel(CgTestEndpoint *ep, const char *channel);
/* Waits until @ep has an answered mix slot (pc "mix") carrying audio. */
void cg_fx_expect_mix_audio(CgTestEndpoint *ep);

/* The median of @n readings of the level of @hz on @label (dBFS,
 * rtc_peer.h), ~110 ms apart (distinct 100 ms windows), each of audio
 * decoded in the last 60 ms (fails if none comes for
 * CG_FX_MEDIA_TIMEOUT_MS): a stalled stream reads as nothing, not silence. */
double cg_fx_level_db(CgTestEndpoint *ep, const char *label, double hz, guint n);
/* Waits until the level of @hz on @label is within [@min_db, @max_db] in
 * three readings of fresh audio in a row; FALSE on timeout. */
gboolean cg_fx_wait_level(CgTestEndpoint *ep, const char *label, double hz, double min_db,
                          double max_db, guint timeout_ms);
/* Asserts as cg_fx_wait_level, failing with the levels of every test tone on
 * @label. */
void cg_fx_expect_level(CgTestEndpoint *ep, const char *label, double hz, double min_db,
                        double max_db, guint timeout_ms);
/* (transfer full) "440 Hz -12.3 dB, 660 Hz ..." of @label, for messages. */
char *cg_fx_describe_levels(CgTestEndpoint *ep, const char *label);

G_END_DECLS
