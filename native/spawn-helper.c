/*
 * flowgate's native spawn helper: one small long-lived process that starts commands for the
 * server, so the large Node process never forks (fork cost grows with its resident size; see
 * docs/PERFORMANCE.md). Driven only by src/node/process/native-helper.ts over stdin/stdout.
 *
 * Framing (both directions, little endian; keep in sync with src/node/process/native-frames.ts):
 *   frame   = u32 length | u8 type | u32 id | payload      (length counts type + id + payload)
 *   string  = u32 length | bytes                            (no NUL inside: execve cannot take it)
 * Requests (flowgate -> helper):
 *   1 run      id = run id; payload = u8 flags (1 capture stdout, 2 capture stderr, 4 stdin given,
 *              8 max output given, 16 uid/gid given, 32 stdout as text, 64 stderr as text) |
 *              u64 max output | u32 uid | u32 gid |
 *              string file | string argv0 | string cwd | u32 argc | argc x string |
 *              u32 envc | envc x string ("NAME=value") | string stdin bytes
 *   2 pause, 3 resume, 4 discard   id = run id, no payload
 *   5 watch, 6 unwatch             id = pid of a group flowgate started itself, no payload
 * Events (helper -> flowgate):
 *   1 spawn    payload = u32 pid
 *   2 error    payload = string errno name (ENOENT, EACCES, E2BIG, ...) | string message
 *   3 data     payload = u8 stream (1 stdout, 2 stderr) | bytes
 *   4 close    payload = i32 exit code (-1 when signalled) | i32 signal number (0 when exited)
 *   5 fault    id = 0; payload = string message (a malformed request frame was dropped)
 *   6 text     payload = u8 stream | u32 bytes read | the bytes up to the cap, escaped as the inside
 *              of a JSON string (RFC 8259 section 7, as JSON.stringify does); instead of data for
 *              streams asked for as text, so flowgate can answer JSON without decoding the output
 *
 * Lifetime: SIGTERM, SIGINT and SIGPIPE are ignored (flowgate decides when runs end). When stdin
 * reaches EOF or stdout breaks (flowgate gone, even by SIGKILL), every group it started or was
 * asked to watch gets SIGKILL and the helper exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* 32-bit ABIs keep 16-bit ids under the plain names. */
#ifdef SYS_setgid32
#define SYS_SETGROUPS SYS_setgroups32
#define SYS_SETGID SYS_setgid32
#define SYS_SETUID SYS_setuid32
#else
#define SYS_SETGROUPS SYS_setgroups
#define SYS_SETGID SYS_setgid
#define SYS_SETUID SYS_setuid
#endif

enum { REQ_RUN = 1, REQ_PAUSE, REQ_RESUME, REQ_DISCARD, REQ_WATCH, REQ_UNWATCH };
enum { EV_SPAWN = 1, EV_ERROR, EV_DATA, EV_CLOSE, EV_FAULT, EV_TEXT };
enum { F_OUT = 1, F_ERR = 2, F_STDIN = 4, F_MAX = 8, F_IDS = 16, F_TEXT_OUT = 32, F_TEXT_ERR = 64 };

/* A request frame larger than this is skipped unread (stdin is capped far lower by flowgate). */
#define MAX_FRAME (256u * 1024 * 1024)
#define MAX_STRINGS 65536u
#define READ_CHUNK (64 * 1024)
/* Past this much unsent event data, children's pipes are not read: backpressure to them. */
#define OUT_HIGH_WATER (1024 * 1024)

typedef struct run {
  struct run *next;
  uint32_t id;
  pid_t pid;
  int errfd;       /* exec error pipe, -1 once the exec outcome is known */
  int out[2];      /* stdout, stderr read ends, -1 when closed or not captured */
  int infd;        /* stdin write end, -1 when done */
  uint8_t *stdin_buf;
  size_t stdin_len, stdin_off;
  uint64_t max, read[2];
  int has_max, paused, reaped, started, failed, text[2];
  int status;
  char *file; /* for error messages */
} run_t;

typedef struct {
  uint8_t *data;
  size_t head, len, cap; /* unconsumed bytes are data[head..len) */
} buf_t;

static run_t *runs;
static pid_t *watched;
static size_t watched_len, watched_cap;
static buf_t in, out;
static size_t skip_left; /* bytes of an oversized request frame still to discard */
static int devnull = -1, sigfd = -1;

static void die(const char *what) {
  fprintf(stderr, "flowgate-spawn-helper: %s: %s\n", what, strerror(errno));
  exit(70);
}

static void reserve(buf_t *b, size_t extra) {
  if (b->cap - b->len >= extra) return;
  /* Consumed bytes are dropped only when room is needed: no copying on every partial write. */
  if (b->head) {
    memmove(b->data, b->data + b->head, b->len - b->head);
    b->len -= b->head;
    b->head = 0;
    if (b->cap - b->len >= extra) return;
  }
  size_t cap = b->cap ? b->cap : 65536;
  while (cap - b->len < extra) cap *= 2;
  uint8_t *data = realloc(b->data, cap);
  if (!data) die("out of memory");
  b->data = data;
  b->cap = cap;
}

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Starts an event frame with room for `payload` bytes; returns where the payload goes. */
static uint8_t *event(uint8_t type, uint32_t id, size_t payload) {
  reserve(&out, 9 + payload);
  uint8_t *p = out.data + out.len;
  put_u32(p, (uint32_t)(5 + payload));
  p[4] = type;
  put_u32(p + 5, id);
  out.len += 9 + payload;
  return p + 9;
}

static void event_strings(uint8_t type, uint32_t id, const char *a, const char *b) {
  size_t la = a ? strlen(a) : 0, lb = strlen(b);
  uint8_t *p = event(type, id, (a ? 4 + la : 0) + 4 + lb);
  if (a) {
    put_u32(p, (uint32_t)la);
    memcpy(p + 4, a, la);
    p += 4 + la;
  }
  put_u32(p, (uint32_t)lb);
  memcpy(p + 4, b, lb);
}

static void fault(const char *message) {
  fprintf(stderr, "flowgate-spawn-helper: dropped a request: %s\n", message);
  event_strings(EV_FAULT, 0, NULL, message);
}

static const char *errno_name(int e) {
  switch (e) {
  case ENOENT: return "ENOENT";
  case EACCES: return "EACCES";
  case E2BIG: return "E2BIG";
  case ENOEXEC: return "ENOEXEC";
  case ENOTDIR: return "ENOTDIR";
  case ELOOP: return "ELOOP";
  case ENAMETOOLONG: return "ENAMETOOLONG";
  case EPERM: return "EPERM";
  case ENOMEM: return "ENOMEM";
  case EAGAIN: return "EAGAIN";
  case EMFILE: return "EMFILE";
  case ENFILE: return "ENFILE";
  case ETXTBSY: return "ETXTBSY";
  case EINVAL: return "EINVAL";
  case EISDIR: return "EISDIR";
  case EIO: return "EIO";
  case ELIBBAD: return "ELIBBAD";
  default: return "EUNKNOWN";
  }
}

static void fail_run(run_t *r, int e, const char *file) {
  char message[512];
  snprintf(message, sizeof message, "spawn %.400s %s", file, errno_name(e));
  event_strings(EV_ERROR, r->id, errno_name(e), message);
  r->failed = 1;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void kill_group(pid_t pid, int sig) {
  if (pid > 0) kill(-pid, sig);
}

/* ---- parsing a run request ---- */

typedef struct {
  const uint8_t *p, *end;
  int bad;
} cursor_t;

static uint32_t take_u32(cursor_t *c) {
  if (c->end - c->p < 4) {
    c->bad = 1;
    return 0;
  }
  uint32_t v = get_u32(c->p);
  c->p += 4;
  return v;
}

/* Copies a string out as a NUL-terminated one; NULL (and c->bad) when truncated or holding NUL. */
static char *take_string(cursor_t *c) {
  uint32_t n = take_u32(c);
  if (c->bad || (size_t)(c->end - c->p) < n || memchr(c->p, 0, n)) {
    c->bad = 1;
    return NULL;
  }
  char *s = malloc((size_t)n + 1);
  if (!s) die("out of memory");
  memcpy(s, c->p, n);
  s[n] = 0;
  c->p += n;
  return s;
}

static char **take_list(cursor_t *c, char *first) {
  uint32_t n = take_u32(c);
  if (c->bad || n > MAX_STRINGS) {
    c->bad = 1;
    return NULL;
  }
  size_t lead = first ? 1 : 0;
  char **list = calloc(lead + n + 1, sizeof *list);
  if (!list) die("out of memory");
  if (first) list[0] = first;
  for (uint32_t i = 0; i < n && !c->bad; i++) list[lead + i] = take_string(c);
  return list;
}

static void free_list(char **list) {
  if (!list) return;
  for (char **s = list; *s; s++) free(*s);
  free(list);
}

/* execve, or a PATH search when `file` has no slash (as Node does with the child's PATH). */
static void exec_file(const char *file, char **argv, char **envp) {
  if (strchr(file, '/')) {
    execve(file, argv, envp);
    return;
  }
  const char *path = "/usr/local/bin:/usr/bin:/bin";
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  int saved = ENOENT;
  char full[4096];
  while (*path) {
    const char *colon = strchr(path, ':');
    size_t n = colon ? (size_t)(colon - path) : strlen(path);
    if (snprintf(full, sizeof full, "%.*s/%s", (int)n, path, file) < (int)sizeof full) {
      execve(full, argv, envp);
      if (errno != ENOENT && errno != ENOTDIR) saved = errno;
    }
    path += n + (colon ? 1 : 0);
  }
  errno = saved;
}

/*
 * In the child, between vfork and exec: it shares the helper's memory until then (the helper waits),
 * so it only makes system calls and never returns. Any failure goes to the error pipe as an errno.
 * vfork rather than fork: no page tables to copy or copy-on-write faults to take afterwards, which
 * halved the helper's CPU time per run (measured); glibc's posix_spawn does the same.
 */
static void child(int errw, int fds[3], const char *file, char **argv, char **envp, const char *cwd,
                  int ids, uid_t uid, gid_t gid) {
  sigset_t none;
  sigemptyset(&none);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int e = 0;
  if (setsid() < 0) e = errno;
  for (int i = 0; i < 3 && !e; i++)
    if (dup2(fds[i], i) < 0) e = errno;
  if (!e && cwd[0] && chdir(cwd) < 0) e = errno;
  /* Raw system calls: glibc's wrappers may coordinate threads, which a vfork child must not do. */
  if (!e && ids &&
      (syscall(SYS_SETGROUPS, 0, NULL) < 0 || syscall(SYS_SETGID, gid) < 0 || syscall(SYS_SETUID, uid) < 0))
    e = errno;
  if (!e) {
#ifdef SYS_close_range
    /* Everything of ours is CLOEXEC already; this also covers descriptors flowgate leaked. */
    syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
#endif
    exec_file(file, argv, envp);
    e = errno;
  }
  ssize_t w = write(errw, &e, sizeof e);
  (void)w;
  _exit(127);
}

static int nonblocking_pipe(int p[2], int parent_end) {
  if (pipe2(p, O_CLOEXEC) < 0) return -1;
  fcntl(p[parent_end], F_SETFL, O_NONBLOCK);
  return 0;
}

static void start_run(uint32_t id, const uint8_t *p, size_t len) {
  cursor_t c = {p, p + len, 0};
  if (len < 17) {
    fault("run frame too short");
    event_strings(EV_ERROR, id, "EINVAL", "spawn: malformed request");
    return;
  }
  uint8_t flags = p[0];
  uint64_t max = (uint64_t)get_u32(p + 1) | (uint64_t)get_u32(p + 5) << 32;
  uint32_t uid = get_u32(p + 9), gid = get_u32(p + 13);
  c.p += 17;
  char *file = take_string(&c), *argv0 = take_string(&c), *cwd = take_string(&c);
  char **argv = c.bad ? NULL : take_list(&c, argv0);
  if (!argv) free(argv0);
  char **envp = c.bad ? NULL : take_list(&c, NULL);
  uint32_t stdin_len = c.bad ? 0 : take_u32(&c);
  if (!c.bad && (size_t)(c.end - c.p) != stdin_len) c.bad = 1;

  run_t *r = calloc(1, sizeof *r);
  if (!r) die("out of memory");
  r->id = id;
  r->errfd = r->out[0] = r->out[1] = r->infd = -1;
  r->max = max;
  r->has_max = (flags & F_MAX) != 0;
  r->text[0] = (flags & F_TEXT_OUT) != 0;
  r->text[1] = (flags & F_TEXT_ERR) != 0;
  r->next = runs;
  runs = r;
  if (c.bad) {
    fault("malformed run frame");
    event_strings(EV_ERROR, id, "EINVAL", "spawn: malformed request");
    r->failed = 1;
    goto done;
  }

  int errp[2] = {-1, -1}, pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int fds[3] = {devnull, devnull, devnull};
  int e = 0;
  if (pipe2(errp, O_CLOEXEC) < 0) e = errno;
  if (!e && (flags & F_STDIN)) {
    if (nonblocking_pipe(pipes[0], 1) < 0) e = errno;
    else fds[0] = pipes[0][0];
  }
  for (int s = 0; s < 2 && !e; s++) {
    if (!(flags & (s == 0 ? F_OUT : F_ERR))) continue;
    if (nonblocking_pipe(pipes[s + 1], 0) < 0) e = errno;
    else fds[s + 1] = pipes[s + 1][1];
  }
  pid_t pid = -1;
  if (!e) {
    pid = vfork();
    if (pid < 0) e = errno;
    if (pid == 0)
      child(errp[1], fds, file, argv, envp, cwd, (flags & F_IDS) != 0, (uid_t)uid, (gid_t)gid);
  }
  close_fd(&errp[1]);
  for (int i = 0; i < 3; i++) close_fd(&pipes[i][i == 0 ? 0 : 1]);
  if (e) {
    close_fd(&errp[0]);
    for (int i = 0; i < 3; i++) close_fd(&pipes[i][i == 0 ? 1 : 0]);
    fail_run(r, e, file);
    goto done;
  }
  r->pid = pid;
  r->file = file;
  file = NULL;
  r->errfd = errp[0];
  r->infd = pipes[0][1];
  r->out[0] = pipes[1][0];
  r->out[1] = pipes[2][0];
  if (r->infd >= 0 && stdin_len > 0) {
    r->stdin_buf = malloc(stdin_len);
    if (!r->stdin_buf) die("out of memory");
    memcpy(r->stdin_buf, c.p, stdin_len);
    r->stdin_len = stdin_len;
  } else {
    close_fd(&r->infd); /* empty stdin: EOF right away */
  }
done:
  free(file);
  free(cwd);
  free_list(argv);
  free_list(envp);
}

static run_t *find_run(uint32_t id) {
  for (run_t *r = runs; r; r = r->next)
    if (r->id == id && !r->failed) return r;
  return NULL;
}

static void discard(run_t *r) {
  close_fd(&r->out[0]);
  close_fd(&r->out[1]);
}

static void request(const uint8_t *frame, size_t len) {
  uint8_t type = frame[0];
  uint32_t id = get_u32(frame + 1);
  run_t *r;
  switch (type) {
  case REQ_RUN:
    start_run(id, frame + 5, len - 5);
    return;
  case REQ_PAUSE:
  case REQ_RESUME:
    if ((r = find_run(id))) r->paused = type == REQ_PAUSE;
    return;
  case REQ_DISCARD:
    if ((r = find_run(id))) discard(r);
    return;
  case REQ_WATCH:
    if (watched_len == watched_cap) {
      watched_cap = watched_cap ? watched_cap * 2 : 16;
      pid_t *grown = realloc(watched, watched_cap * sizeof *watched);
      if (!grown) die("out of memory");
      watched = grown;
    }
    watched[watched_len++] = (pid_t)id;
    return;
  case REQ_UNWATCH:
    for (size_t i = 0; i < watched_len; i++)
      if (watched[i] == (pid_t)id) {
        watched[i] = watched[--watched_len];
        break;
      }
    return;
  default:
    fault("unknown request type");
  }
}

/* Parses every complete request frame in `in`, skipping oversized ones without buffering them. */
static void parse_input(void) {
  for (;;) {
    size_t left = in.len - in.head;
    if (skip_left) {
      size_t n = left < skip_left ? left : skip_left;
      in.head += n;
      skip_left -= n;
      if (skip_left) break;
      continue;
    }
    if (left < 4) break;
    uint32_t len = get_u32(in.data + in.head);
    if (len < 5 || len > MAX_FRAME) {
      fault(len < 5 ? "frame too short" : "frame too large");
      in.head += 4;
      skip_left = len;
      continue;
    }
    if (left - 4 < len) {
      reserve(&in, (size_t)len + 4 - left); /* room for the rest of this frame */
      break;
    }
    request(in.data + in.head + 4, len);
    in.head += 4 + (size_t)len;
  }
  if (in.head == in.len) in.head = in.len = 0;
}

static void kill_everything_and_exit(void) {
  for (run_t *r = runs; r; r = r->next) {
    if (r->reaped || r->pid <= 0) continue;
    /* A child still before its exec may not lead its group yet. */
    kill(r->pid, SIGKILL);
    kill_group(r->pid, SIGKILL);
  }
  for (size_t i = 0; i < watched_len; i++) kill_group(watched[i], SIGKILL);
  _exit(0);
}

static void read_input(void) {
  reserve(&in, READ_CHUNK);
  ssize_t n = read(0, in.data + in.len, READ_CHUNK);
  if (n == 0) kill_everything_and_exit();
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    kill_everything_and_exit();
  }
  in.len += (size_t)n;
  parse_input();
}

static void flush_output(void) {
  while (out.head < out.len) {
    ssize_t n = write(1, out.data + out.head, out.len - out.head);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      kill_everything_and_exit(); /* EPIPE: flowgate is gone */
    }
    out.head += (size_t)n;
  }
  out.head = out.len = 0;
}

/* Reads the exec outcome: 4 bytes of errno on failure, EOF once the command's exec succeeded. */
static void read_exec_result(run_t *r) {
  int e = 0;
  ssize_t n;
  do n = read(r->errfd, &e, sizeof e);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) return;
  close_fd(&r->errfd);
  if (n == (ssize_t)sizeof e) {
    discard(r);
    close_fd(&r->infd);
    fail_run(r, e, r->file);
    return;
  }
  r->started = 1;
  uint8_t *p = event(EV_SPAWN, r->id, 4);
  put_u32(p, (uint32_t)r->pid);
}

/* Appends `bytes` escaped as JSON.stringify escapes a string's characters; returns the length. */
static size_t escape_json(uint8_t *to, const uint8_t *bytes, size_t n) {
  static const char hex[] = "0123456789abcdef";
  uint8_t *start = to;
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  size_t i = 0;
  while (i < n) {
    /* Eight bytes at a time while none is below 0x20, a quote or a backslash (the usual case). */
    if (n - i >= 8) {
      uint64_t w, q, s;
      memcpy(&w, bytes + i, 8);
      q = w ^ (ones * '"');
      s = w ^ (ones * '\\');
      uint64_t special = ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((s - ones) & ~s);
      if (!(special & highs)) {
        memcpy(to, bytes + i, 8);
        to += 8;
        i += 8;
        continue;
      }
    }
    uint8_t b = bytes[i++];
    if (b >= 0x20 && b != '"' && b != '\\') {
      *to++ = b;
      continue;
    }
    *to++ = '\\';
    switch (b) {
    case '"': *to++ = '"'; break;
    case '\\': *to++ = '\\'; break;
    case '\b': *to++ = 'b'; break;
    case '\f': *to++ = 'f'; break;
    case '\n': *to++ = 'n'; break;
    case '\r': *to++ = 'r'; break;
    case '\t': *to++ = 't'; break;
    default:
      memcpy(to, "u00", 3);
      to[3] = (uint8_t)hex[b >> 4];
      to[4] = (uint8_t)hex[b & 15];
      to += 5;
    }
  }
  return (size_t)(to - start);
}

static void read_output(run_t *r, int s) {
  static uint8_t scratch[READ_CHUNK];
  size_t want = READ_CHUNK;
  /* Reads at most one byte past the cap: enough to know it was passed. */
  if (r->has_max && r->max + 1 - r->read[s] < want) want = (size_t)(r->max + 1 - r->read[s]);
  /* Room for the worst case first: event() below must not move the buffer under `mark`. */
  reserve(&out, 14 + want * 6);
  size_t mark = out.len;
  uint8_t *p = r->text[s] ? scratch : event(EV_DATA, r->id, 1 + want) + 1;
  ssize_t n = read(r->out[s], p, want);
  out.len = mark;
  if (n <= 0) {
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(&r->out[s]);
    return;
  }
  if (r->text[s]) {
    size_t kept = (size_t)n;
    if (r->has_max && r->read[s] + kept > r->max) kept = (size_t)(r->max - r->read[s]);
    uint8_t *t = event(EV_TEXT, r->id, 5 + kept * 6);
    t[0] = (uint8_t)(s + 1);
    put_u32(t + 1, (uint32_t)n);
    size_t length = escape_json(t + 5, scratch, kept);
    out.len = mark;
    event(EV_TEXT, r->id, 5 + length);
  } else {
    event(EV_DATA, r->id, 1 + (size_t)n)[0] = (uint8_t)(s + 1);
  }
  r->read[s] += (uint64_t)n;
  if (r->has_max && r->read[s] > r->max) {
    /* As directSpawner: SIGTERM first, so the command ends by the signal rather than EPIPE. */
    kill_group(r->pid, SIGTERM);
    discard(r);
  }
}

static void write_stdin(run_t *r) {
  ssize_t n = write(r->infd, r->stdin_buf + r->stdin_off, r->stdin_len - r->stdin_off);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  /* A command that exits without reading its input is fine (EPIPE), as in httpexec. */
  if (n > 0) r->stdin_off += (size_t)n;
  if (n < 0 || r->stdin_off >= r->stdin_len) {
    close_fd(&r->infd);
    free(r->stdin_buf);
    r->stdin_buf = NULL;
  }
}

static void reap(void) {
  struct signalfd_siginfo info;
  while (read(sigfd, &info, sizeof info) > 0) {
  }
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (run_t *r = runs; r; r = r->next) {
      if (r->pid != pid || r->reaped) continue;
      r->reaped = 1;
      r->status = status;
      if (r->errfd >= 0) read_exec_result(r);
      /* Grandchildren left in the group would hold the pipes open: the run is over for them too. */
      kill_group(pid, SIGKILL);
      close_fd(&r->infd);
      break;
    }
  }
}

/* Sends close for runs that have exited with their pipes at EOF, and frees finished runs. */
static void finish_runs(void) {
  for (run_t **link = &runs; *link;) {
    run_t *r = *link;
    int over = r->failed ? r->reaped || r->pid <= 0 : r->reaped && r->out[0] < 0 && r->out[1] < 0;
    if (!over) {
      link = &r->next;
      continue;
    }
    if (!r->failed) {
      int sig = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
      uint8_t *p = event(EV_CLOSE, r->id, 8);
      put_u32(p, sig ? (uint32_t)-1 : (uint32_t)WEXITSTATUS(r->status));
      put_u32(p + 4, (uint32_t)sig);
    }
    close_fd(&r->errfd);
    close_fd(&r->infd);
    discard(r);
    free(r->stdin_buf);
    free(r->file);
    *link = r->next;
    free(r);
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die("sigprocmask");
  sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sigfd < 0) die("signalfd");
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die("/dev/null");
  fcntl(0, F_SETFL, O_NONBLOCK);
  fcntl(1, F_SETFL, O_NONBLOCK);
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  /*
   * More room towards flowgate means fewer wake-ups per MiB of captured output and fewer stalls
   * while flowgate's single thread is busy elsewhere. Node's and Bun's 'pipe' stdio is a socketpair,
   * whose default send buffer (net.core.wmem_default, 208 KiB) holds a fifth of a 1 MiB reply. The
   * kernel caps the request at net.core.wmem_max and doubles it (2 MiB where the maximum allows,
   * about 416 KiB with the usual 208 KiB one); with 2 MiB a 1 MiB-output command ran 1.2-1.5x as
   * many requests per second through Node (docs/PERFORMANCE.md). Started with a real pipe, the pipe
   * size applies instead; whichever call does not fit the descriptor fails harmlessly.
   */
  int room = 1024 * 1024;
  setsockopt(1, SOL_SOCKET, SO_SNDBUF, &room, sizeof room);
  fcntl(1, F_SETPIPE_SZ, room);

  struct pollfd *fds = NULL;
  run_t **owners = NULL;
  int *kinds = NULL;
  size_t cap = 0;
  for (;;) {
    size_t count = 0;
    for (run_t *r = runs; r; r = r->next) count += 4;
    if (count + 3 > cap) {
      cap = (count + 3) * 2;
      fds = realloc(fds, cap * sizeof *fds);
      owners = realloc(owners, cap * sizeof *owners);
      kinds = realloc(kinds, cap * sizeof *kinds);
      if (!fds || !owners || !kinds) die("out of memory");
    }
    size_t n = 0;
#define WATCH(fd_, events_, owner_, kind_)                                                         \
  do {                                                                                             \
    fds[n] = (struct pollfd){.fd = (fd_), .events = (events_)};                                    \
    owners[n] = (owner_);                                                                          \
    kinds[n++] = (kind_);                                                                          \
  } while (0)
    WATCH(sigfd, POLLIN, NULL, 0);
    WATCH(0, POLLIN, NULL, 1);
    if (out.len > out.head) WATCH(1, POLLOUT, NULL, 2);
    int reading = out.len - out.head < OUT_HIGH_WATER;
    for (run_t *r = runs; r; r = r->next) {
      if (r->errfd >= 0) WATCH(r->errfd, POLLIN, r, 3);
      if (r->infd >= 0 && r->started) WATCH(r->infd, POLLOUT, r, 4);
      if (!reading || r->paused || !r->started) continue;
      if (r->out[0] >= 0) WATCH(r->out[0], POLLIN, r, 5);
      if (r->out[1] >= 0) WATCH(r->out[1], POLLIN, r, 6);
    }
#undef WATCH
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    /* Exec outcomes first, so "spawn" always precedes a run's data and close. */
    for (size_t i = 0; i < n; i++)
      if (kinds[i] == 3 && fds[i].revents && owners[i]->errfd >= 0) read_exec_result(owners[i]);
    for (size_t i = 0; i < n; i++) {
      if (!fds[i].revents) continue;
      run_t *r = owners[i];
      switch (kinds[i]) {
      case 1: read_input(); break;
      case 4: if (r->infd >= 0) write_stdin(r); break;
      case 5: if (r->out[0] >= 0) read_output(r, 0); break;
      case 6: if (r->out[1] >= 0) read_output(r, 1); break;
      default: break;
      }
    }
    if (fds[0].revents) reap();
    finish_runs();
    if (out.len > out.head) flush_output();
  }
}
