/* fuzz-candidate.c — fuzz target for remote ICE candidate lines
 * (media/transport/ice_agent.c, media/transport/address_policy.c, libnice's parser), as the
 * "candidate" message and SDP a=candidate lines deliver them.
 *
 * Each input line goes to cg_ice_agent_add_remote_candidate() on a relay
 * agent whose policy allows public addresses only. Besides "no crash, no
 * over-read, no UB, no leak" it checks that a line the agent takes names an
 * address our policy allows both as written and as libnice reads it: what
 * consultd would probe. The agent's main context is never run and it has no
 * remote credentials, so nothing is ever sent. */
#include "address_policy.h"
#include "fuzz.h"
#include "ice_agent.h"

#include <nice/address.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-candidate: %s (line %d)\n", #cond, __LINE__);                    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define RENEW_EVERY 64u /* inputs per agent (it takes a bounded number) */

static struct {
    CgAddressPolicy *policy;
    GMainContext *context;
    CgIceAgent *agent;
    guint inputs;
} g;

static void local_candidate(gpointer user, const char *candidate)
{
    (void)user;
    (void)candidate;
}

static const CgIceAgentCallbacks callbacks = {.local_candidate = local_candidate};

static void renew_agent(void)
{
    static const char *const loopback[] = {"127.0.0.1", NULL};
    CgIceAgentConfig config = {.local_addresses = loopback, .ice_tcp = TRUE, .policy = g.policy};
    cg_ice_agent_free(g.agent);
    g.agent = cg_ice_agent_new(&config, FALSE, g.context, &callbacks, NULL, NULL);
    CHECK(g.agent);
}

/* An accepted line: the address as written and as libnice reads it. */
static void check_accepted(const char *line)
{
    g_autofree char *trimmed = g_strstrip(g_strdup(line)); /* as the agent reads it */
    g_autofree char *address = cg_candidate_address(trimmed);
    CHECK(address && !cg_address_policy_refusal(g.policy, address));
    NiceAddress nice;
    nice_address_init(&nice);
    CHECK(nice_address_set_from_string(&nice, address));
    char text[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&nice, text);
    CHECK(!cg_address_policy_refusal(g.policy, text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_fuzz_abort_on_critical();
    if (!g.policy) {
        g.policy = cg_address_policy_new(NULL, NULL);
        g.context = g_main_context_new();
    }
    if (g.inputs++ % RENEW_EVERY == 0)
        renew_agent();
    char *text = g_malloc0(size + 1);
    if (size)
        memcpy(text, data, size);
    g_auto(GStrv) lines = g_strsplit(text, "\n", 8);
    g_free(text);
    for (guint i = 0; lines[i]; i++) {
        g_autoptr(GError) error = NULL;
        if (cg_ice_agent_add_remote_candidate(g.agent, lines[i], &error))
            check_accepted(lines[i]);
        else if (g_error_matches(error, CG_ICE_ERROR, CG_ICE_ERROR_LIMIT))
            renew_agent();
    }
    return 0;
}
