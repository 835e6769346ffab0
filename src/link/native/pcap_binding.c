/*
 * arpinject's own libpcap binding (Node-API, plain C). Loaded only by src/link/pcap-link.ts.
 * native-notes/capture.md says why each choice was made and what was measured.
 *
 * One handle = one pcap_t for capture (immediate mode, TPACKET_V2 ring, snaplen chosen by the caller,
 * nanosecond kernel timestamps) + one AF_PACKET socket for sending (protocol 0: it receives nothing).
 * Sending on a socket other than the capture one is deliberate: the kernel hands an outgoing frame to
 * every packet socket except the one that sent it, so the capture handle sees our own requests with
 * the kernel's timestamp of their transmission, which is what RTT is measured from (tcpdump -ttt).
 * Those echoes are recognised here (bytes equal to a frame we sent, in send order) and tagged with the
 * send id, so JavaScript never has to guess.
 *
 * Delivery is batched: one JS call per poll wake-up with every frame that is ready, copied into one
 * fresh ArrayBuffer plus a Uint32 table (ENTRY_WORDS words per frame).
 *
 * Lifetime: the state struct is freed only when both the JS wrapper is finalised and the uv_poll
 * handle's close callback has run (uv_close), so neither the GC nor libuv can touch freed memory.
 * close() is idempotent; a failed open leaves nothing behind.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <arpa/inet.h>
#include <sys/time.h>
#include <time.h>

#define ENTRY_WORDS 6 /* offset, caplen, origlen, ts_sec, ts_nsec, sent id (0: not ours) */
#define BATCH_MAX_FRAMES 8192
#define ECHO_CAP 32768       /* sent frames remembered until their echo is seen */
#define ECHO_INIT 256        /* the FIFO starts this small and doubles when full, up to ECHO_CAP */
#define ECHO_BYTES 128       /* bytes of each sent frame kept for the comparison */
#define ECHO_SCAN 64         /* how far past the oldest pending send an echo may be found */
#define SEND_BATCH 256       /* frames per sendmmsg call */

typedef struct {
  uint32_t id;
  uint32_t len;
  uint8_t bytes[ECHO_BYTES];
} echo_entry;

typedef struct {
  napi_env env;
  napi_ref callback;
  napi_async_context async_ctx;
  pcap_t *pcap;
  int send_fd;
  int ifindex;
  uv_poll_t *poll;
  int closed;        /* close() called (or failed open) */
  int js_alive;      /* wrapper not yet finalised */
  int poll_alive;    /* uv handle not yet closed by libuv */
  int in_callback;
  char poll_error[128];
  /* batch scratch */
  uint8_t *data;
  size_t data_len, data_cap;
  uint32_t *table;
  uint32_t count;
  /* echo FIFO */
  echo_entry *echo;
  uint32_t echo_head, echo_len, echo_cap;
  uint32_t next_id;
  double echoes_matched, echoes_missed, echoes_evicted;
  int snaplen;
} link_state;

static void maybe_free(link_state *s) {
  if (s->js_alive || s->poll_alive) return;
  free(s->data);
  free(s->table);
  free(s->echo);
  free(s);
}

static napi_value throw_error(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

#define CHECK(call)                                                                  \
  do {                                                                               \
    if ((call) != napi_ok) {                                                         \
      const napi_extended_error_info *info__;                                        \
      napi_get_last_error_info(env, &info__);                                        \
      bool pending__;                                                                \
      napi_is_exception_pending(env, &pending__);                                    \
      if (!pending__)                                                                \
        napi_throw_error(env, "ERR_NAPI", info__->error_message ? info__->error_message : "napi call failed"); \
      return NULL;                                                                   \
    }                                                                                \
  } while (0)

/* ---------- helpers to read options ---------- */

static int get_named(napi_env env, napi_value obj, const char *name, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return 0;
  if (napi_get_named_property(env, obj, name, out) != napi_ok) return 0;
  napi_valuetype t;
  napi_typeof(env, *out, &t);
  return t != napi_undefined && t != napi_null;
}

static int32_t opt_int(napi_env env, napi_value obj, const char *name, int32_t dflt) {
  napi_value v;
  int32_t r = dflt;
  if (get_named(env, obj, name, &v)) napi_get_value_int32(env, v, &r);
  return r;
}

static int opt_bool(napi_env env, napi_value obj, const char *name, int dflt) {
  napi_value v;
  bool r = dflt;
  if (get_named(env, obj, name, &v)) napi_get_value_bool(env, v, &r);
  return r;
}

/* returns malloc'd string or NULL */
static char *opt_string(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  if (!get_named(env, obj, name, &v)) return NULL;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static link_state *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_unwrap(env, v, &p) != napi_ok || !p) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "not a capture handle");
    return NULL;
  }
  return (link_state *)p;
}

/* ---------- echo FIFO ---------- */

/*
 * Twice the room, entries kept in order from index 0. The FIFO grows only as far as sends ever run
 * ahead of their echoes: a ring of ECHO_CAP from the start was 4.4 MB of every sweep's RSS, since
 * cycling through it touches every page (native-notes/startup.md). False when memory is short.
 */
static int echo_grow(link_state *s) {
  uint32_t cap = s->echo_cap * 2;
  echo_entry *n = malloc(sizeof(echo_entry) * cap);
  if (!n) return 0;
  for (uint32_t k = 0; k < s->echo_len; k++) n[k] = s->echo[(s->echo_head + k) % s->echo_cap];
  free(s->echo);
  s->echo = n;
  s->echo_head = 0;
  s->echo_cap = cap;
  return 1;
}

static void echo_push(link_state *s, uint32_t id, const uint8_t *bytes, uint32_t len) {
  if (!s->echo) return;
  if (s->echo_len == s->echo_cap && (s->echo_cap >= ECHO_CAP || !echo_grow(s))) {
    /* oldest send never echoed within ECHO_CAP later sends: forget it */
    s->echo_head = (s->echo_head + 1) % s->echo_cap;
    s->echo_len--;
    s->echoes_evicted++;
  }
  echo_entry *e = &s->echo[(s->echo_head + s->echo_len) % s->echo_cap];
  e->id = id;
  e->len = len;
  memcpy(e->bytes, bytes, len < ECHO_BYTES ? len : ECHO_BYTES);
  s->echo_len++;
}

/* The kernel pads nothing on the way to a packet socket: an echo has exactly the bytes we sent. */
static uint32_t echo_match(link_state *s, const uint8_t *bytes, uint32_t caplen, uint32_t len) {
  uint32_t n = s->echo_len < ECHO_SCAN ? s->echo_len : ECHO_SCAN;
  for (uint32_t k = 0; k < n; k++) {
    echo_entry *e = &s->echo[(s->echo_head + k) % s->echo_cap];
    if (e->len != len) continue;
    uint32_t cmp = caplen < ECHO_BYTES ? caplen : ECHO_BYTES;
    if (cmp > e->len) cmp = e->len;
    if (memcmp(e->bytes, bytes, cmp) != 0) continue;
    /* sends older than this one were not seen (filtered out, or lost to a full ring) */
    s->echoes_missed += k;
    uint32_t id = e->id;
    s->echo_head = (s->echo_head + k + 1) % s->echo_cap;
    s->echo_len -= k + 1;
    s->echoes_matched++;
    return id;
  }
  return 0;
}

/* ---------- capture ---------- */

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  link_state *s = (link_state *)user;
  if (s->count >= BATCH_MAX_FRAMES) return; /* cannot happen: dispatch is bounded by the same number */
  size_t need = s->data_len + h->caplen;
  if (need > s->data_cap) {
    size_t cap = s->data_cap ? s->data_cap : 65536;
    while (cap < need) cap *= 2;
    uint8_t *d = realloc(s->data, cap);
    if (!d) return; /* out of memory: the frame is lost, counted by the caller as received - delivered */
    s->data = d;
    s->data_cap = cap;
  }
  memcpy(s->data + s->data_len, bytes, h->caplen);
  uint32_t *e = s->table + (size_t)s->count * ENTRY_WORDS;
  e[0] = (uint32_t)s->data_len;
  e[1] = h->caplen;
  e[2] = h->len;
  e[3] = (uint32_t)h->ts.tv_sec;
  e[4] = (uint32_t)h->ts.tv_usec; /* nanoseconds: the handle was opened with PCAP_TSTAMP_PRECISION_NANO */
  e[5] = s->echo_len ? echo_match(s, bytes, h->caplen, h->len) : 0;
  s->data_len = need;
  s->count++;
}

/* The batch in scratch (or libpcap's error) as the three callback arguments. 0 on success. */
static int batch_values(napi_env env, link_state *s, int err_status, napi_value argv[3]) {
  if (err_status) {
    /* read error: tell JS, with libpcap's message (or libuv's, for a poll error) */
    napi_value msg;
    napi_create_string_utf8(env, s->poll_error[0] ? s->poll_error : pcap_geterr(s->pcap), NAPI_AUTO_LENGTH, &msg);
    napi_get_null(env, &argv[0]);
    argv[1] = msg;
    napi_get_null(env, &argv[2]);
    return 0;
  }
  void *ab_data = NULL;
  napi_value ab, tab_ab, tab;
  if (napi_create_arraybuffer(env, s->data_len ? s->data_len : 1, &ab_data, &ab) != napi_ok) return -1;
  if (s->data_len) memcpy(ab_data, s->data, s->data_len);
  void *tab_data = NULL;
  size_t tab_bytes = (size_t)s->count * ENTRY_WORDS * sizeof(uint32_t);
  if (napi_create_arraybuffer(env, tab_bytes ? tab_bytes : 4, &tab_data, &tab_ab) != napi_ok) return -1;
  if (tab_bytes) memcpy(tab_data, s->table, tab_bytes);
  if (napi_create_typedarray(env, napi_uint32_array, (size_t)s->count * ENTRY_WORDS, tab_ab, 0, &tab) != napi_ok) return -1;
  argv[0] = ab;
  argv[1] = tab;
  napi_create_uint32(env, s->count, &argv[2]);
  return 0;
}

/* One pcap_dispatch into scratch: >= 0 frames collected, < 0 a libpcap error. */
static int collect(link_state *s) {
  s->count = 0;
  s->data_len = 0;
  int r = pcap_dispatch(s->pcap, BATCH_MAX_FRAMES, on_packet, (u_char *)s);
  if (r < 0 && r != PCAP_ERROR_BREAK) return -1;
  return (int)s->count;
}

static void deliver(link_state *s, int err_status) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, argv[3], result;
  if (napi_get_reference_value(env, s->callback, &cb) != napi_ok || cb == NULL) goto out;
  napi_get_global(env, &global);
  if (batch_values(env, s, err_status, argv) != 0) goto out;
  s->in_callback = 1;
  /* napi_make_callback, not napi_call_function: it opens a callback scope, so promise jobs and
   * process.nextTick queued by the handlers run when it returns, as after any Node I/O callback. */
  napi_status st = napi_make_callback(env, s->async_ctx, global, cb, 3, argv, &result);
  s->in_callback = 0;
  if (st == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
out:
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  link_state *s = (link_state *)handle->data;
  if (!s || s->closed || s->in_callback) return;
  int r = status < 0 ? -1 : collect(s);
  if (status < 0) snprintf(s->poll_error, sizeof s->poll_error, "poll: %s", uv_strerror(status));
  if (r < 0) {
    /* The capture is dead (the interface went away): stop polling, or libuv would wake us forever,
     * and tell JavaScript once. Frames already read are not lost: collect() delivered nothing. */
    uv_poll_stop(s->poll);
    deliver(s, 1);
  } else if (r > 0) deliver(s, 0);
}

/*
 * read(handle) -> [data, table, count] | null: one batch of what the ring holds now, synchronously
 * (no callback). For draining the ring before a verdict or at the end; null when it is empty.
 */
static napi_value js_read(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  link_state *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  napi_value out;
  if (s->closed || !s->pcap || s->in_callback) {
    napi_get_null(env, &out);
    return out;
  }
  int r = collect(s);
  if (r == 0) {
    napi_get_null(env, &out);
    return out;
  }
  napi_value vals[3];
  if (batch_values(env, s, r < 0, vals) != 0) return throw_error(env, "ERR_NAPI", "cannot build the batch");
  CHECK(napi_create_array_with_length(env, 3, &out));
  for (uint32_t i = 0; i < 3; i++) CHECK(napi_set_element(env, out, i, vals[i]));
  return out;
}

static void on_poll_closed(uv_handle_t *h) {
  link_state *s = (link_state *)h->data;
  free(h);
  if (!s) return;
  s->poll = NULL;
  if (s->pcap) {
    pcap_close(s->pcap);
    s->pcap = NULL;
  }
  s->poll_alive = 0;
  maybe_free(s);
}

/* Stop delivery and release the OS resources; JS references are dropped by the caller. */
static void shutdown_state(link_state *s) {
  if (s->closed) return;
  s->closed = 1;
  if (s->send_fd >= 0) {
    close(s->send_fd);
    s->send_fd = -1;
  }
  if (s->poll) {
    uv_poll_stop(s->poll);
    uv_close((uv_handle_t *)s->poll, on_poll_closed); /* pcap_close happens there, after libuv let go */
  } else {
    if (s->pcap) pcap_close(s->pcap);
    s->pcap = NULL;
    s->poll_alive = 0;
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  link_state *s = (link_state *)data;
  if (s->callback) {
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
  }
  if (s->async_ctx) {
    napi_async_destroy(env, s->async_ctx);
    s->async_ctx = NULL;
  }
  shutdown_state(s);
  s->js_alive = 0;
  maybe_free(s);
}

/* open(options: {device, snaplen, bufferSize, promisc, immediate, filter, nano}, onBatch) */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_error(env, "ERR_INVALID_ARG_TYPE", "open(options, onBatch)");
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) return throw_error(env, "ERR_INVALID_ARG_TYPE", "onBatch must be a function");

  char *device = opt_string(env, argv[0], "device");
  char *filter = opt_string(env, argv[0], "filter");
  int snaplen = opt_int(env, argv[0], "snaplen", 256);
  int buffer_size = opt_int(env, argv[0], "bufferSize", 8 * 1024 * 1024);
  int promisc = opt_bool(env, argv[0], "promisc", 1);
  int immediate = opt_bool(env, argv[0], "immediate", 1);
  int nano = opt_bool(env, argv[0], "nano", 1);
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  char msg[PCAP_ERRBUF_SIZE + 256];
  const char *code = "ERR_LINK_OPEN";
  pcap_t *p = NULL;
  int send_fd = -1;
  int ifindex = 0;
  link_state *s = NULL;
  int precision = PCAP_TSTAMP_PRECISION_MICRO;
  int dlt = -1;

  if (!device) {
    free(filter);
    return throw_error(env, "ERR_INVALID_ARG_TYPE", "options.device is required");
  }
  ifindex = (int)if_nametoindex(device);
  if (ifindex == 0) {
    snprintf(msg, sizeof msg, "no such interface: %s", device);
    code = "ERR_NO_INTERFACE";
    goto fail;
  }
  p = pcap_create(device, errbuf);
  if (!p) {
    snprintf(msg, sizeof msg, "pcap_create: %s", errbuf);
    goto fail;
  }
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc);
  pcap_set_timeout(p, 1000);
  pcap_set_buffer_size(p, buffer_size);
  if (immediate) pcap_set_immediate_mode(p, 1);
  if (nano && pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0) nano = 0;
  int st = pcap_activate(p);
  if (st < 0) {
    const char *detail = pcap_geterr(p);
    if (st == PCAP_ERROR_PERM_DENIED) code = "ERR_PERMISSION";
    else if (st == PCAP_ERROR_NO_SUCH_DEVICE) code = "ERR_NO_INTERFACE";
    else if (st == PCAP_ERROR_IFACE_NOT_UP) code = "ERR_INTERFACE_DOWN";
    snprintf(msg, sizeof msg, "pcap_activate: %s%s%s", pcap_statustostr(st), detail && *detail ? ": " : "", detail ? detail : "");
    goto fail;
  }
  precision = pcap_get_tstamp_precision(p);
  dlt = pcap_datalink(p);
  if (pcap_setnonblock(p, 1, errbuf) < 0) {
    snprintf(msg, sizeof msg, "pcap_setnonblock: %s", errbuf);
    goto fail;
  }
  if (filter && *filter) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
      snprintf(msg, sizeof msg, "bad capture filter \"%s\": %s", filter, pcap_geterr(p));
      code = "ERR_FILTER";
      goto fail;
    }
    int fr = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (fr < 0) {
      snprintf(msg, sizeof msg, "pcap_setfilter: %s", pcap_geterr(p));
      goto fail;
    }
  }
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) {
    snprintf(msg, sizeof msg, "libpcap gives no selectable fd for %s", device);
    goto fail;
  }

  /* The sending socket: protocol 0 receives nothing, bound to the interface. */
  send_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (send_fd < 0) {
    int e = errno;
    if (e == EPERM || e == EACCES) code = "ERR_PERMISSION";
    snprintf(msg, sizeof msg, "socket(AF_PACKET): %s", strerror(e));
    goto fail;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex;
  sll.sll_protocol = 0;
  if (bind(send_fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    snprintf(msg, sizeof msg, "bind(AF_PACKET, %s): %s", device, strerror(errno));
    goto fail;
  }

  s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(msg, sizeof msg, "out of memory");
    goto fail;
  }
  s->table = malloc(sizeof(uint32_t) * ENTRY_WORDS * BATCH_MAX_FRAMES);
  s->echo = malloc(sizeof(echo_entry) * ECHO_INIT);
  s->echo_cap = ECHO_INIT;
  s->poll = malloc(sizeof(uv_poll_t));
  if (!s->table || !s->echo || !s->poll) {
    snprintf(msg, sizeof msg, "out of memory");
    goto fail;
  }
  s->env = env;
  s->pcap = p;
  s->send_fd = send_fd;
  s->ifindex = ifindex;
  s->snaplen = snaplen;
  s->next_id = 1;
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
    snprintf(msg, sizeof msg, "no event loop");
    goto fail;
  }
  if (uv_poll_init(loop, s->poll, fd) != 0) {
    snprintf(msg, sizeof msg, "uv_poll_init failed");
    goto fail;
  }
  s->poll->data = s;
  s->poll_alive = 1;
  /* From here on the struct is released through the normal path (uv_close + finaliser). */
  CHECK(napi_create_reference(env, argv[1], 1, &s->callback));
  {
    napi_value rname;
    CHECK(napi_create_string_utf8(env, "arpinject:capture", NAPI_AUTO_LENGTH, &rname));
    CHECK(napi_async_init(env, NULL, rname, &s->async_ctx));
  }
  CHECK(napi_create_object(env, &self));
  s->js_alive = 1;
  if (napi_wrap(env, self, s, finalize, NULL, NULL) != napi_ok) {
    s->js_alive = 0;
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
    shutdown_state(s);
    return throw_error(env, "ERR_NAPI", "napi_wrap failed");
  }
  if (uv_poll_start(s->poll, UV_READABLE, on_readable) != 0) {
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
    shutdown_state(s);
    return throw_error(env, "ERR_LINK_OPEN", "uv_poll_start failed");
  }
  free(device);
  free(filter);

  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "handle", self));
  CHECK(napi_create_int32(env, dlt, &v));
  CHECK(napi_set_named_property(env, out, "dlt", v));
  const char *dlt_name = pcap_datalink_val_to_name(dlt);
  CHECK(napi_create_string_utf8(env, dlt_name ? dlt_name : "unknown", NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "linkType", v));
  CHECK(napi_get_boolean(env, precision == PCAP_TSTAMP_PRECISION_NANO, &v));
  CHECK(napi_set_named_property(env, out, "nano", v));
  CHECK(napi_create_int32(env, pcap_snapshot(p), &v));
  CHECK(napi_set_named_property(env, out, "snaplen", v));
  CHECK(napi_create_int32(env, ifindex, &v));
  CHECK(napi_set_named_property(env, out, "ifindex", v));
  return out;

fail:
  /* Nothing was handed to libuv or to JS: release synchronously, leave nothing to crash later. */
  if (s) {
    free(s->table);
    free(s->echo);
    free(s->poll);
    free(s);
  }
  if (send_fd >= 0) close(send_fd);
  if (p) pcap_close(p);
  free(device);
  free(filter);
  {
    napi_value err, c, m;
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &c);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
    napi_create_error(env, c, m, &err);
    napi_throw(env, err);
  }
  return NULL;
}

/*
 * send(handle, data: Uint8Array, lengths?: Uint32Array) -> { first: id of the first frame, sent: n }
 * Without lengths, data is one frame. With lengths, data holds the frames back to back. Frames are
 * handed to the kernel with sendmmsg, SEND_BATCH at a time. On failure throws an Error with
 * code ERR_SEND, errno and `sent` (frames sent before the failure).
 */
static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return throw_error(env, "ERR_INVALID_ARG_TYPE", "send(handle, data, lengths?)");
  link_state *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->closed) return throw_error(env, "ERR_SEND", "link closed");
  bool is_ta = false;
  napi_is_typedarray(env, argv[1], &is_ta);
  if (!is_ta) return throw_error(env, "ERR_INVALID_ARG_TYPE", "data must be a Uint8Array");
  napi_typedarray_type tt;
  size_t dlen;
  void *dptr;
  napi_value dab;
  size_t doff;
  CHECK(napi_get_typedarray_info(env, argv[1], &tt, &dlen, &dptr, &dab, &doff));
  if (tt != napi_uint8_array) return throw_error(env, "ERR_INVALID_ARG_TYPE", "data must be a Uint8Array");
  uint32_t one = (uint32_t)dlen;
  uint32_t *lens = &one;
  size_t nframes = 1;
  napi_valuetype lt = napi_undefined;
  if (argc >= 3) napi_typeof(env, argv[2], &lt);
  if (lt == napi_object) {
    napi_typedarray_type lt2;
    size_t ln;
    void *lptr;
    napi_value lab;
    size_t loff;
    CHECK(napi_get_typedarray_info(env, argv[2], &lt2, &ln, &lptr, &lab, &loff));
    if (lt2 != napi_uint32_array) return throw_error(env, "ERR_INVALID_ARG_TYPE", "lengths must be a Uint32Array");
    lens = (uint32_t *)lptr;
    nframes = ln;
    size_t total = 0;
    for (size_t i = 0; i < ln; i++) total += lens[i];
    if (total > dlen) return throw_error(env, "ERR_INVALID_ARG_TYPE", "lengths exceed data");
  }
  const uint8_t *base = (const uint8_t *)dptr;
  struct mmsghdr msgs[SEND_BATCH];
  struct iovec iov[SEND_BATCH];
  size_t off = 0, done = 0;
  uint32_t first = s->next_id;
  int err = 0;
  while (done < nframes) {
    size_t n = nframes - done < SEND_BATCH ? nframes - done : SEND_BATCH;
    size_t o = off;
    for (size_t i = 0; i < n; i++) {
      iov[i].iov_base = (void *)(base + o);
      iov[i].iov_len = lens[done + i];
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_len = 0;
      o += lens[done + i];
    }
    int r;
    do {
      r = sendmmsg(s->send_fd, msgs, (unsigned)n, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      err = errno;
      break;
    }
    /* remember what went out, for the echo */
    for (int i = 0; i < r; i++) {
      echo_push(s, s->next_id++, base + off, lens[done]);
      off += lens[done];
      done++;
    }
    if ((size_t)r < n) {
      /* a partial batch: the next frame failed; try it alone to get its errno */
      continue;
    }
  }
  if (err) {
    char m[256];
    snprintf(m, sizeof m, "%s", strerror(err));
    napi_value e, c, msgv, v;
    napi_create_string_utf8(env, "ERR_SEND", NAPI_AUTO_LENGTH, &c);
    napi_create_string_utf8(env, m, NAPI_AUTO_LENGTH, &msgv);
    napi_create_error(env, c, msgv, &e);
    napi_create_int32(env, err, &v);
    napi_set_named_property(env, e, "errno", v);
    napi_create_uint32(env, (uint32_t)done, &v);
    napi_set_named_property(env, e, "sent", v);
    napi_create_uint32(env, first, &v);
    napi_set_named_property(env, e, "first", v);
    napi_throw(env, e);
    return NULL;
  }
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_uint32(env, first, &v));
  CHECK(napi_set_named_property(env, out, "first", v));
  CHECK(napi_create_uint32(env, (uint32_t)done, &v));
  CHECK(napi_set_named_property(env, out, "sent", v));
  return out;
}

static napi_value set_num(napi_env env, napi_value obj, const char *name, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  napi_set_named_property(env, obj, name, v);
  return obj;
}

/* stats(handle) -> { received, dropped, ifDropped, echoes, echoesMissed, echoesEvicted, pending } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  link_state *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->closed || !s->pcap) return throw_error(env, "ERR_LINK_CLOSED", "link closed");
  struct pcap_stat ps;
  memset(&ps, 0, sizeof ps);
  if (pcap_stats(s->pcap, &ps) < 0) return throw_error(env, "ERR_STATS", pcap_geterr(s->pcap));
  napi_value out;
  CHECK(napi_create_object(env, &out));
  set_num(env, out, "received", ps.ps_recv);
  set_num(env, out, "dropped", ps.ps_drop);
  set_num(env, out, "ifDropped", ps.ps_ifdrop);
  set_num(env, out, "echoes", s->echoes_matched);
  set_num(env, out, "echoesMissed", s->echoes_missed);
  set_num(env, out, "echoesEvicted", s->echoes_evicted);
  set_num(env, out, "pending", s->echo_len);
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  link_state *s = unwrap(env, argv[0]);
  if (!s) return NULL;
  if (s->callback) {
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
  }
  shutdown_state(s);
  return NULL;
}

static napi_value js_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  CHECK(napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &v));
  return v;
}

/*
 * realtimeOffsetMs() -> CLOCK_REALTIME - CLOCK_MONOTONIC in milliseconds (a double, sub-microsecond).
 * process.hrtime is CLOCK_MONOTONIC, so offset + hrtime is epoch time on the capture timestamps' clock:
 * the clock in src/time uses it instead of loading perf_hooks (~2 ms of a start) for
 * performance.timeOrigin. Both clocks are read back to back (tens of nanoseconds apart).
 */
static napi_value js_realtime_offset(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec mono, real;
  if (clock_gettime(CLOCK_MONOTONIC, &mono) != 0 || clock_gettime(CLOCK_REALTIME, &real) != 0) return throw_error(env, "ERR_CLOCK", strerror(errno));
  double off = ((double)real.tv_sec - (double)mono.tv_sec) * 1e3 + ((double)real.tv_nsec - (double)mono.tv_nsec) / 1e6;
  napi_value v;
  CHECK(napi_create_double(env, off, &v));
  return v;
}

/*
 * ipv4Addresses() -> [ifindex, prefixlen, scope, flags, address (host order), ...] (5 numbers per
 * address), and a names table { ifindex: name }: every IPv4 address of this network namespace, from
 * one RTM_GETADDR dump on a NETLINK_ROUTE socket, in the kernel's order (by device, primary before
 * secondary), which is what `ip -4 addr show` prints. The address is IFA_LOCAL (IFA_ADDRESS is the
 * peer on a point-to-point link), flags the IFA_FLAGS attribute when present (32 bits), else
 * ifa_flags. No process is spawned: `ip -j` cost 15-25 ms of every probe (native-notes/startup.md).
 */
static napi_value js_ipv4_addresses(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return throw_error(env, "ERR_NETLINK", strerror(errno));
  struct timeval tv = {2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct {
    struct nlmsghdr nh;
    struct ifaddrmsg ifa;
  } req;
  memset(&req, 0, sizeof req);
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  req.nh.nlmsg_type = RTM_GETADDR;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = 1;
  req.ifa.ifa_family = AF_INET;
  struct sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return throw_error(env, "ERR_NETLINK", strerror(e));
  }
  napi_value list, names, v;
  CHECK(napi_create_array(env, &list));
  CHECK(napi_create_object(env, &names));
  uint32_t n = 0;
  static char buf[32768];
  int done = 0;
  const char *err = NULL;
  while (!done && !err) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    if (len < 0) {
      if (errno == EINTR) continue;
      err = strerror(errno);
      break;
    }
    if (len == 0) break;
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)len); nh = NLMSG_NEXT(nh, len)) {
      if (nh->nlmsg_seq != 1) continue;
      if (nh->nlmsg_type == NLMSG_DONE) { done = 1; break; }
      if (nh->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *ne = (struct nlmsgerr *)NLMSG_DATA(nh);
        err = ne->error ? strerror(-ne->error) : NULL;
        done = 1;
        break;
      }
      if (nh->nlmsg_type != RTM_NEWADDR) continue;
      struct ifaddrmsg *ifa = (struct ifaddrmsg *)NLMSG_DATA(nh);
      if (ifa->ifa_family != AF_INET) continue;
      uint32_t flags = ifa->ifa_flags, addr = 0;
      int have_local = 0, have_addr = 0;
      uint32_t local = 0, address = 0;
      int rlen = (int)IFA_PAYLOAD(nh);
      for (struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, rlen); rta = RTA_NEXT(rta, rlen)) {
        if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) >= 4) { memcpy(&local, RTA_DATA(rta), 4); have_local = 1; }
        else if (rta->rta_type == IFA_ADDRESS && RTA_PAYLOAD(rta) >= 4) { memcpy(&address, RTA_DATA(rta), 4); have_addr = 1; }
        else if (rta->rta_type == IFA_FLAGS && RTA_PAYLOAD(rta) >= 4) memcpy(&flags, RTA_DATA(rta), 4);
      }
      if (!have_local && !have_addr) continue;
      addr = ntohl(have_local ? local : address);
      double row[5] = {ifa->ifa_index, ifa->ifa_prefixlen, ifa->ifa_scope, flags, addr};
      for (int k = 0; k < 5; k++) {
        CHECK(napi_create_double(env, row[k], &v));
        CHECK(napi_set_element(env, list, n++, v));
      }
      char key[16], name[IF_NAMESIZE + 1];
      snprintf(key, sizeof key, "%u", ifa->ifa_index);
      bool has = false;
      CHECK(napi_has_named_property(env, names, key, &has));
      if (!has && if_indextoname(ifa->ifa_index, name)) {
        CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v));
        CHECK(napi_set_named_property(env, names, key, v));
      }
    }
  }
  close(fd);
  if (err) return throw_error(env, "ERR_NETLINK", err);
  napi_value out;
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_set_element(env, out, 0, list));
  CHECK(napi_set_element(env, out, 1, names));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"read", NULL, js_read, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"libVersion", NULL, js_version, NULL, NULL, NULL, napi_default, NULL},
      {"ipv4Addresses", NULL, js_ipv4_addresses, NULL, NULL, NULL, napi_default, NULL},
      {"realtimeOffsetMs", NULL, js_realtime_offset, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value ew;
  napi_create_uint32(env, ENTRY_WORDS, &ew);
  napi_set_named_property(env, exports, "ENTRY_WORDS", ew);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
