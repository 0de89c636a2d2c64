/* group_common.c — see group_common.h. */
#include "group_common.h"

gboolean group_sanitized(void)
{
    return g_strcmp0(g_getenv("CG_TEST_SANITIZED"), "1") == 0;
}

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COLOUR_TOLERANCE 48
#define TONE_TOLERANCE_HZ 10.0

const guint32 group_colours[GROUP_MAX] = {0xff0000, 0x00ff00, 0x0000ff, 0xffff00,
                                          0xff00ff, 0x00ffff, 0xffffff, 0x000000};
const guint group_tones[GROUP_MAX] = {440, 660, 880, 1100, 1320, 1540, 1760, 1980};

CgTestDaemon *group_start_daemon(guint max_participants)
{
    CgTestDaemonOptions o = {.max_participants = max_participants};
    g_autoptr(GError) error = NULL;
    CgTestDaemon *d = cg_test_daemon_start(&o, &error);
    g_assert_no_error(error);
    g_assert_nonnull(d);
    return d;
}

CgTestConsult *group_create_consult(CgTestDaemon *daemon, guint n)
{
    g_assert_cmpuint(n, <=, GROUP_MAX);
    const char *roles[GROUP_MAX + 1] = {0};
    const char *names[GROUP_MAX + 1] = {0};
    static const char *const all_names[GROUP_MAX] = {"Dr. A", "Dr. B", "Dr. C", "Dr. D",
                                                     "Dr. E", "Dr. F", "Dr. G", "Dr. H"};
    for (guint i = 0; i < n; i++) {
        roles[i] = i == 0 ? "specialist" : "provider";
        names[i] = all_names[i];
    }
    g_autoptr(GError) error = NULL;
    CgTestConsult *c = cg_test_create_consult(daemon, 0, "case_conference", roles, names, &error);
    g_assert_no_error(error);
    return c;
}

CgTestEndpoint *group_join(CgTestDaemon *daemon, CgTestConsult *c, guint i,
                           const CgRtcPeerOptions *media)
{
    CgTestEndpointOptions o = {0};
    if (media)
        o.media = *media;
    o.media.color_rgb = group_colours[i];
    o.media.tone_hz = group_tones[i];
    CgTestEndpoint *ep = cg_test_endpoint_new(cg_test_daemon_port(daemon),
                                              cg_test_daemon_certificate(daemon), c->tokens[i],
                                              &o);
    g_autoptr(GError) error = NULL;
    cg_test_endpoint_wait_joined(ep, GROUP_JOIN_TIMEOUT_MS, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(cg_test_endpoint_id(ep), ==, c->ids[i]);
    return ep;
}

static gboolean colour_close(guint32 a, guint32 b)
{
    for (int shift = 0; shift <= 16; shift += 8) {
        int ca = (int)((a >> shift) & 0xff), cb = (int)((b >> shift) & 0xff);
        if (abs(ca - cb) > COLOUR_TOLERANCE)
            return FALSE;
    }
    return TRUE;
}

typedef struct {
    CgTestEndpoint *ep;
    const char *from;
    guint32 rgb;
    guint tone;
} MediaCheck;

static gboolean media_right(gpointer data)
{
    MediaCheck *m = data;
    CgRtcPeer *peer = cg_test_endpoint_peer(m->ep);
    guint32 got = 0;
    return peer && cg_rtc_peer_video_color(peer, m->from, &got) && colour_close(got, m->rgb) &&
           fabs(cg_rtc_peer_tone_hz(peer, m->from) - m->tone) <= TONE_TOLERANCE_HZ;
}

gboolean group_wait_media(CgTestEndpoint *ep, const char *from, guint32 rgb, guint tone,
                          guint timeout_ms)
{
    MediaCheck m = {ep, from, rgb, tone};
    return cg_test_wait_until(media_right, &m, timeout_ms);
}

void group_assert_all_media(CgTestEndpoint **ep, CgTestConsult *c, guint n)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)GROUP_MEDIA_TIMEOUT_MS * 1000;
    for (guint i = 0; i < n; i++)
        for (guint j = 0; j < n; j++) {
            if (i == j)
                continue;
            gint64 left_ms = MAX(1, (deadline - g_get_monotonic_time()) / 1000);
            if (group_wait_media(ep[i], c->ids[j], group_colours[j], group_tones[j],
                                 (guint)left_ms))
                continue;
            CgRtcPeer *peer = cg_test_endpoint_peer(ep[i]);
            guint32 got = 0;
            gboolean have = peer && cg_rtc_peer_video_color(peer, c->ids[j], &got);
            g_autofree char *pc = peer ? cg_rtc_peer_describe_label(peer, c->ids[j]) : NULL;
            cg_test_run_for(2000); /* does anything still arrive? */
            g_autofree char *pc2 = peer ? cg_rtc_peer_describe_label(peer, c->ids[j]) : NULL;
            g_message("%s then 2 s later %s", pc, pc2);
            g_error("%s from %s: %u frames from %" G_GUINT64_FORMAT " video packets, colour "
                    "%s%06x (want %06x), tone %.1f Hz (want %u)",
                    c->ids[i], c->ids[j], cg_test_endpoint_frames_from(ep[i], c->ids[j]),
                    peer ? cg_rtc_peer_video_packets(peer, c->ids[j]) : 0,
                    have ? "" : "none ", got, group_colours[j],
                    peer ? cg_rtc_peer_tone_hz(peer, c->ids[j]) : 0.0, group_tones[j]);
        }
    /* nothing is looped back */
    for (guint i = 0; i < n; i++)
        g_assert_cmpuint(cg_test_endpoint_frames_from(ep[i], c->ids[i]), ==, 0);
}

gboolean group_proc_usage(GPid pid, double *cpu_s, guint64 *rss_kib)
{
    g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *status_path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *stat = NULL, *status = NULL;
    if (!g_file_get_contents(stat_path, &stat, NULL, NULL) ||
        !g_file_get_contents(status_path, &status, NULL, NULL))
        return FALSE;
    const char *after_comm = strrchr(stat, ')');
    g_auto(GStrv) fields = after_comm ? g_strsplit(after_comm + 2, " ", 0) : NULL;
    if (!fields || g_strv_length(fields) < 13)
        return FALSE;
    double ticks = (double)sysconf(_SC_CLK_TCK);
    *cpu_s = (g_ascii_strtod(fields[11], NULL) + g_ascii_strtod(fields[12], NULL)) / ticks;
    const char *rss = strstr(status, "VmRSS:");
    *rss_kib = rss ? g_ascii_strtoull(rss + 6, NULL, 10) : 0;
    return TRUE;
}

guint group_proc_threads(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *status = NULL;
    if (!g_file_get_contents(path, &status, NULL, NULL))
        return 0;
    const char *t = strstr(status, "Threads:");
    return t ? (guint)g_ascii_strtoull(t + 8, NULL, 10) : 0;
}

guint group_proc_fds(GPid pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    guint n = 0;
    while (dir && g_dir_read_name(dir))
        n++;
    return n;
}

static void count_into(GHashTable *counts, const char *what)
{
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, what));
    g_hash_table_replace(counts, g_strdup(what), GUINT_TO_POINTER(n + 1));
}

static void describe_counts(GString *out, GHashTable *counts)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, counts);
    while (g_hash_table_iter_next(&it, &k, &v))
        g_string_append_printf(out, "%s x%u, ", (const char *)k, GPOINTER_TO_UINT(v));
}

char *group_proc_describe(GPid pid)
{
    GString *out = g_string_new("threads: ");
    g_autoptr(GHashTable) threads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *task = g_strdup_printf("/proc/%d/task", (int)pid);
    g_autoptr(GDir) tdir = g_dir_open(task, 0, NULL);
    for (const char *t; tdir && (t = g_dir_read_name(tdir));) {
        g_autofree char *path = g_strdup_printf("%s/%s/comm", task, t);
        g_autofree char *comm = NULL;
        if (g_file_get_contents(path, &comm, NULL, NULL))
            count_into(threads, g_strstrip(comm));
    }
    describe_counts(out, threads);
    g_string_append(out, "fds: ");
    g_autofree char *fd = g_strdup_printf("/proc/%d/fd", (int)pid);
    g_autoptr(GDir) fdir = g_dir_open(fd, 0, NULL);
    for (const char *f; fdir && (f = g_dir_read_name(fdir));) {
        g_autofree char *path = g_strdup_printf("%s/%s", fd, f);
        g_autofree char *target = g_file_read_link(path, NULL);
        if (target) {
            char *colon = strchr(target, ':');
            if (colon && g_str_has_prefix(target, "socket"))
                *colon = 0;
            count_into(fds, target);
        }
    }
    describe_counts(out, fds);
    return g_string_free(out, FALSE);
}
