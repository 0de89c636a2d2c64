/* consultctl-bench — two figures for the project's report (not a test):
 *
 *   consultctl-bench create --url URL --api-key-file FILE [--cacert F|--insecure] [-n 1000]
 *       p50/p99/max latency of POST /api/v1/consults (one TLS connection per
 *       call, as consultctl makes them), from request start to full response.
 *   consultctl-bench audit --db PATH [-n 20000]
 *       audit records appended per second to a store at PATH (created).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "http_client.h"
#include "store.h"

static int cmp_gint64(const void *a, const void *b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
    return x < y ? -1 : x > y;
}

static const char body[] =
    "{\"kind\":\"virtual_consult\",\"specialty\":\"dermatology\",\"title\":\"Bench\","
    "\"starts_at\":\"2030-01-01T10:00:00Z\",\"duration_min\":30,\"participants\":["
    "{\"name\":\"Dr A\",\"role\":\"specialist\"},{\"name\":\"Dr B\",\"role\":\"provider\"},"
    "{\"name\":\"Pat\",\"role\":\"patient\"}]}";

static int bench_create(CgCtlServer *server, guint n)
{
    g_autofree gint64 *lat = g_new0(gint64, n);
    for (guint i = 0; i < n; i++) {
        guint status = 0;
        g_autofree char *resp = NULL;
        g_autoptr(GError) error = NULL;
        gint64 t0 = g_get_monotonic_time();
        if (!cg_ctl_request(server, "POST", "/api/v1/consults", body, &status, &resp, &error) ||
            status != 201) {
            fprintf(stderr, "call %u failed: %s %u\n", i, error ? error->message : "", status);
            return 1;
        }
        lat[i] = g_get_monotonic_time() - t0;
    }
    qsort(lat, n, sizeof *lat, cmp_gint64);
    printf("create-consult over HTTPS, %u calls: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", n,
           lat[n / 2] / 1000.0, lat[(n * 99) / 100] / 1000.0, lat[n - 1] / 1000.0);
    return 0;
}

static int bench_audit(const char *db, guint n)
{
    g_autoptr(GError) error = NULL;
    CgStore *store = cg_store_open(db, &error);
    if (!store) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
    }
    CgAuditEvent ev = {.tenant = "bench",
                       .consult = "c-bench",
                       .participant = "p-bench",
                       .role = "specialist",
                       .action = "join",
                       .outcome = "ok",
                       .remote = "127.0.0.1"};
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < n; i++)
        if (!cg_audit_append(store, &ev, g_get_real_time(), &error)) {
            fprintf(stderr, "%s\n", error->message);
            cg_store_close(store);
            return 1;
        }
    double s = (g_get_monotonic_time() - t0) / 1e6;
    gint64 broken = 0;
    guint64 records = 0;
    gint64 v0 = g_get_monotonic_time();
    gboolean ok = cg_audit_verify(store, &broken, &records, NULL);
    double vs = (g_get_monotonic_time() - v0) / 1e6;
    cg_store_close(store);
    printf("audit appends: %u in %.2f s = %.0f records/s (WAL, synchronous=NORMAL)\n", n, s, n / s);
    printf("audit verify: %" G_GUINT64_FORMAT " records in %.2f s, %s\n", records, vs,
           ok ? "intact" : "BROKEN");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    CgCtlServer server = {0};
    const char *db = NULL, *key_file = NULL;
    guint n = 0;
    for (int i = 2; i + 1 < argc || (i < argc && g_str_equal(argv[i], "--insecure")); i++) {
        if (g_str_equal(argv[i], "--insecure"))
            server.insecure = TRUE;
        else if (g_str_equal(argv[i], "--url"))
            server.url = argv[++i];
        else if (g_str_equal(argv[i], "--api-key-file"))
            key_file = argv[++i];
        else if (g_str_equal(argv[i], "--cacert"))
            server.cacert = argv[++i];
        else if (g_str_equal(argv[i], "--db"))
            db = argv[++i];
        else if (g_str_equal(argv[i], "-n"))
            n = (guint)atoi(argv[++i]);
    }
    if (argc >= 2 && g_str_equal(argv[1], "audit") && db)
        return bench_audit(db, n ? n : 20000);
    if (argc >= 2 && g_str_equal(argv[1], "create") && server.url && key_file) {
        g_autofree char *key = NULL;
        if (!g_file_get_contents(key_file, &key, NULL, NULL))
            return 2;
        server.api_key = g_strstrip(key);
        return bench_create(&server, n ? n : 1000);
    }
    fprintf(stderr, "usage: consultctl-bench create --url URL --api-key-file F [--cacert F | "
                    "--insecure] [-n N]\n       consultctl-bench audit --db PATH [-n N]\n");
    return 2;
}
