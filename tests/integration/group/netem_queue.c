/* netem_queue.c — cg-netem-queue: a stand-in for `tc qdisc ... netem` on
 * kernels built without sch_netem (CONFIG_NET_SCH_NETEM unset, as on the
 * project's CI machines), used by in-netns.sh inside a network namespace of
 * its own.
 *
 *   cg-netem-queue --delay-ms 150 --udp-loss-pct 5 [--seed N] -- CMD [ARG...]
 *
 * It puts one legacy-iptables rule in the namespace's raw table, OUTPUT chain
 * ("-j NFQUEUE --queue-num 0": every locally sent IPv4 packet, so every packet
 * crossing lo, exactly once), takes the queue over nfnetlink, runs CMD, and
 * gives each queued packet its verdict: UDP packets are dropped with the given
 * probability, every other packet is accepted --delay-ms after it was queued,
 * in order (a FIFO with one constant delay keeps order, as netem without jitter
 * does). It exits with CMD's status (128+signal if killed), or 77 (the CTest
 * skip code) when the rule or the queue cannot be had, saying why.
 *
 * Only the standard kernel ABI (linux/netfilter headers); no libnetfilter_queue
 * or iptables binary needed. Single-threaded: one ppoll loop over the netlink
 * socket and a signalfd for SIGCHLD. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SKIP 77
#define QUEUE_NUM 0
#define QUEUE_MAXLEN 16384 /* kernel side; ~1,000 packets/s x 0.15 s are in flight */
#define FIFO_CAP 32768     /* > QUEUE_MAXLEN: the FIFO never overflows */
#define COPY_RANGE 64      /* the IPv4 header is all we read */
#define RCVBUF_BYTES (8 * 1024 * 1024)

typedef struct {
    uint32_t id;
    uint64_t due_ns;
} Held;

typedef struct {
    int nl;
    uint32_t seq;
    uint64_t delay_ns;
    double udp_loss;
    uint64_t rng;
    Held fifo[FIFO_CAP];
    unsigned head, count;
    /* figures printed at exit */
    unsigned long queued, udp, udp_dropped, overruns;
} Shaper;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: reproducible from --seed, good enough for a loss coin. */
static double next_uniform(Shaper *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return (double)((s->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* ---- the iptables rule ------------------------------------------------------ */

#define ENTRY_SIZE(target) (XT_ALIGN(sizeof(struct ipt_entry)) + XT_ALIGN(target))

static unsigned char *put_entry(unsigned char *p, size_t target_size, const char *name)
{
    struct ipt_entry *e = (struct ipt_entry *)p;
    e->target_offset = XT_ALIGN(sizeof(struct ipt_entry));
    e->next_offset = (uint16_t)ENTRY_SIZE(target_size);
    struct xt_entry_target *t = (struct xt_entry_target *)(p + e->target_offset);
    t->u.user.target_size = (uint16_t)XT_ALIGN(target_size);
    snprintf(t->u.user.name, sizeof t->u.user.name, "%s", name);
    return p + e->next_offset;
}

static unsigned char *put_accept(unsigned char *p)
{
    unsigned char *next = put_entry(p, sizeof(struct xt_standard_target), XT_STANDARD_TARGET);
    struct xt_standard_target *t =
        (struct xt_standard_target *)(p + XT_ALIGN(sizeof(struct ipt_entry)));
    t->verdict = -NF_ACCEPT - 1;
    return next;
}

/* The raw table becomes: PREROUTING accept; OUTPUT -j NFQUEUE, accept; the
 * closing ERROR entry. The namespace is new, so nothing is replaced but the
 * built-in empty chains. */
static int install_rule(char *why, size_t why_len)
{
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        snprintf(why, why_len, "raw socket: %s", strerror(errno));
        return -1;
    }
    struct ipt_getinfo info = {.name = "raw"};
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len) < 0) {
        snprintf(why, why_len, "no legacy iptables raw table: %s", strerror(errno));
        close(fd);
        return -1;
    }
    size_t accept_sz = ENTRY_SIZE(sizeof(struct xt_standard_target));
    size_t queue_sz = ENTRY_SIZE(sizeof(struct xt_entry_target) + sizeof(struct xt_NFQ_info));
    size_t error_sz = ENTRY_SIZE(sizeof(struct xt_error_target));
    size_t size = accept_sz + queue_sz + accept_sz + error_sz;
    struct ipt_replace *r = calloc(1, sizeof *r + size);
    struct xt_counters *old = calloc(info.num_entries ? info.num_entries : 1, sizeof *old);
    snprintf(r->name, sizeof r->name, "raw");
    r->valid_hooks = info.valid_hooks;
    r->num_entries = 4;
    r->size = (unsigned)size;
    r->hook_entry[NF_INET_PRE_ROUTING] = 0;
    r->underflow[NF_INET_PRE_ROUTING] = 0;
    r->hook_entry[NF_INET_LOCAL_OUT] = (unsigned)accept_sz;
    r->underflow[NF_INET_LOCAL_OUT] = (unsigned)(accept_sz + queue_sz);
    r->num_counters = info.num_entries;
    r->counters = old;

    unsigned char *p = (unsigned char *)r->entries;
    p = put_accept(p);
    unsigned char *q = p;
    p = put_entry(p, sizeof(struct xt_entry_target) + sizeof(struct xt_NFQ_info), "NFQUEUE");
    struct xt_entry_target *qt = (struct xt_entry_target *)(q + XT_ALIGN(sizeof(struct ipt_entry)));
    ((struct xt_NFQ_info *)qt->data)->queuenum = QUEUE_NUM;
    p = put_accept(p);
    unsigned char *e = p;
    put_entry(p, sizeof(struct xt_error_target), XT_ERROR_TARGET);
    struct xt_error_target *et = (struct xt_error_target *)(e + XT_ALIGN(sizeof(struct ipt_entry)));
    snprintf(et->errorname, sizeof et->errorname, "%s", XT_ERROR_TARGET);

    int rc = setsockopt(fd, IPPROTO_IP, IPT_SO_SET_REPLACE, r, (socklen_t)(sizeof *r + size));
    if (rc < 0)
        snprintf(why, why_len, "cannot set the NFQUEUE rule: %s", strerror(errno));
    free(old);
    free(r);
    close(fd);
    return rc;
}

/* ---- nfnetlink ------------------------------------------------------------ */

typedef struct {
    struct nlmsghdr nh;
    struct nfgenmsg nf;
    unsigned char attrs[64];
} NfMsg;

static void *msg_put(NfMsg *m, uint16_t type, const void *data, size_t len)
{
    struct nlattr *a = (struct nlattr *)((unsigned char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + len);
    memcpy((unsigned char *)a + NLA_HDRLEN, data, len);
    m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
    return a;
}

static void msg_init(Shaper *s, NfMsg *m, uint16_t type, uint16_t flags)
{
    memset(m, 0, sizeof *m);
    m->nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
    m->nh.nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
    m->nh.nlmsg_flags = NLM_F_REQUEST | flags;
    m->nh.nlmsg_seq = ++s->seq;
    m->nf.nfgen_family = AF_UNSPEC;
    m->nf.version = NFNETLINK_V0;
    m->nf.res_id = htons(QUEUE_NUM);
}

/* Sends @m and reads its ACK: 0, or -errno. */
static int config_request(Shaper *s, NfMsg *m)
{
    if (send(s->nl, m, m->nh.nlmsg_len, 0) < 0)
        return -errno;
    unsigned char buf[4096];
    for (;;) {
        ssize_t n = recv(s->nl, buf, sizeof buf, 0);
        if (n < 0)
            return -errno;
        int len = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
            if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == m->nh.nlmsg_seq)
                return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
}

static int open_queue(Shaper *s, char *why, size_t why_len)
{
    s->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (s->nl < 0) {
        snprintf(why, why_len, "nfnetlink socket: %s", strerror(errno));
        return -1;
    }
    int size = RCVBUF_BYTES;
    if (setsockopt(s->nl, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(s->nl, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    if (bind(s->nl, (struct sockaddr *)&sa, sizeof sa) < 0) {
        snprintf(why, why_len, "nfnetlink bind: %s", strerror(errno));
        return -1;
    }
    NfMsg m;
    struct nfqnl_msg_config_cmd cmd = {.command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET)};
    msg_init(s, &m, NFQNL_MSG_CONFIG, NLM_F_ACK);
    msg_put(&m, NFQA_CFG_CMD, &cmd, sizeof cmd);
    int rc = config_request(s, &m);
    if (rc == 0) {
        struct nfqnl_msg_config_params params = {.copy_range = htonl(COPY_RANGE),
                                                 .copy_mode = NFQNL_COPY_PACKET};
        msg_init(s, &m, NFQNL_MSG_CONFIG, NLM_F_ACK);
        msg_put(&m, NFQA_CFG_PARAMS, &params, sizeof params);
        rc = config_request(s, &m);
    }
    if (rc == 0) {
        uint32_t maxlen = htonl(QUEUE_MAXLEN);
        msg_init(s, &m, NFQNL_MSG_CONFIG, NLM_F_ACK);
        msg_put(&m, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);
        rc = config_request(s, &m);
    }
    if (rc < 0) {
        snprintf(why, why_len, "cannot bind NFQUEUE %d: %s", QUEUE_NUM, strerror(-rc));
        return -1;
    }
    return 0;
}

static void verdict(Shaper *s, uint32_t id, uint32_t what)
{
    NfMsg m;
    struct nfqnl_msg_verdict_hdr v = {.verdict = htonl(what), .id = htonl(id)};
    msg_init(s, &m, NFQNL_MSG_VERDICT, 0);
    msg_put(&m, NFQA_VERDICT_HDR, &v, sizeof v);
    if (send(s->nl, &m, m.nh.nlmsg_len, 0) < 0)
        fprintf(stderr, "cg-netem-queue: verdict for packet %u: %s\n", id, strerror(errno));
}

/* One queued packet: drop it now (lost UDP) or hold it for delay_ns. */
static void on_packet(Shaper *s, struct nlmsghdr *h, uint64_t now)
{
    uint32_t id = 0;
    int have_id = 0, proto = -1;
    size_t off = NLMSG_SPACE(sizeof(struct nfgenmsg));
    while (off + NLA_HDRLEN <= h->nlmsg_len) {
        struct nlattr *a = (struct nlattr *)((unsigned char *)h + off);
        if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
            break;
        const unsigned char *data = (const unsigned char *)a + NLA_HDRLEN;
        size_t len = a->nla_len - NLA_HDRLEN;
        int type = a->nla_type & NLA_TYPE_MASK;
        if (type == NFQA_PACKET_HDR && len >= sizeof(struct nfqnl_msg_packet_hdr)) {
            id = ntohl(((const struct nfqnl_msg_packet_hdr *)data)->packet_id);
            have_id = 1;
        } else if (type == NFQA_PAYLOAD && len >= 20 && (data[0] >> 4) == 4) {
            proto = data[9];
        }
        off += NLA_ALIGN(a->nla_len);
    }
    if (!have_id)
        return;
    s->queued++;
    if (proto == IPPROTO_UDP) {
        s->udp++;
        if (next_uniform(s) < s->udp_loss) {
            s->udp_dropped++;
            verdict(s, id, NF_DROP);
            return;
        }
    }
    if (s->count == FIFO_CAP) { /* cannot happen with QUEUE_MAXLEN < FIFO_CAP */
        verdict(s, id, NF_ACCEPT);
        return;
    }
    s->fifo[(s->head + s->count) % FIFO_CAP] = (Held){id, now + s->delay_ns};
    s->count++;
}

static void read_packets(Shaper *s)
{
    static unsigned char buf[256 * 1024];
    for (;;) {
        ssize_t n = recv(s->nl, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == ENOBUFS) { /* the kernel dropped what did not fit */
                s->overruns++;
                continue;
            }
            return;
        }
        uint64_t now = now_ns();
        int len = (int)n;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
            if (h->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
                on_packet(s, h, now);
    }
}

static void release_due(Shaper *s, uint64_t now)
{
    while (s->count && s->fifo[s->head].due_ns <= now) {
        verdict(s, s->fifo[s->head].id, NF_ACCEPT);
        s->head = (s->head + 1) % FIFO_CAP;
        s->count--;
    }
}

/* ---- the command ---------------------------------------------------------- */

static int wait_status(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Serves the queue until @child exits; returns its status. */
static int serve(Shaper *s, pid_t child, int sfd)
{
    for (;;) {
        struct pollfd fds[2] = {{.fd = s->nl, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        struct timespec ts, *tp = NULL;
        if (s->count) {
            uint64_t now = now_ns(), due = s->fifo[s->head].due_ns;
            uint64_t wait = due > now ? due - now : 0;
            ts.tv_sec = (time_t)(wait / 1000000000u);
            ts.tv_nsec = (long)(wait % 1000000000u);
            tp = &ts;
        }
        if (ppoll(fds, 2, tp, NULL) < 0 && errno != EINTR)
            return 1;
        if (fds[0].revents & POLLIN)
            read_packets(s);
        release_due(s, now_ns());
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) < 0 && errno != EAGAIN)
                return 1;
            int status;
            if (waitpid(child, &status, WNOHANG) == child)
                return wait_status(status);
        }
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: cg-netem-queue --delay-ms MS --udp-loss-pct PCT [--seed N] -- CMD "
                    "[ARG...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static Shaper s;
    double delay_ms = -1, loss_pct = -1;
    uint64_t seed = (uint64_t)now_ns() ^ (uint64_t)getpid();
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--delay-ms") == 0)
            delay_ms = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--udp-loss-pct") == 0)
            loss_pct = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[++i], NULL, 10);
        else
            return usage();
    }
    if (i + 1 >= argc || delay_ms < 0 || delay_ms > 10000 || loss_pct < 0 || loss_pct > 100)
        return usage();
    s.delay_ns = (uint64_t)(delay_ms * 1e6);
    s.udp_loss = loss_pct / 100.0;
    s.rng = seed ? seed : 1;

    char why[256] = "";
    if (open_queue(&s, why, sizeof why) < 0 || install_rule(why, sizeof why) < 0) {
        fprintf(stderr, "cg-netem-queue: %s\n", why);
        return SKIP;
    }
    fprintf(stderr,
            "cg-netem-queue: every IPv4 packet on lo delayed %.0f ms, UDP lost with "
            "p=%.3f (seed %llu)\n",
            delay_ms, s.udp_loss, (unsigned long long)seed);

    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    pid_t child = fork();
    if (child == 0) {
        /* nothing reaches lo once the queue is gone: never outlive it */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
        execvp(argv[i + 1], argv + i + 1);
        fprintf(stderr, "cg-netem-queue: %s: %s\n", argv[i + 1], strerror(errno));
        _exit(127);
    }
    if (child < 0 || sfd < 0) {
        perror("cg-netem-queue");
        return 1;
    }
    int rc = serve(&s, child, sfd);
    fprintf(stderr,
            "cg-netem-queue: %lu packets queued, %lu UDP of which %lu dropped (%.2f %%), "
            "%lu netlink overruns\n",
            s.queued, s.udp, s.udp_dropped, s.udp ? 100.0 * s.udp_dropped / s.udp : 0.0,
            s.overruns);
    return rc;
}
