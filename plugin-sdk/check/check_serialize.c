/* SPDX-License-Identifier: MIT */
/*
 * Events as text lines, so two runs can be compared line by line and a
 * difference shown to the plugin author. Only what a parser decides goes
 * in: application messages (every field, by kind) and flow ends (the
 * reason shows a poisoned parser).
 */
#include <inttypes.h>

#include "check.h"

/* Bytes as text: printable ASCII as is, everything else (and '\\', '"') as \xNN. */
static void put_escaped(FILE *out, const char *p, uint64_t len) {
  fputc('"', out);
  for (uint64_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      fputc(c, out);
    } else {
      fprintf(out, "\\x%02x", c);
    }
  }
  fputc('"', out);
}

static void put_field(FILE *out, const fs_field *f) {
  fprintf(out, " %s=", f->name != NULL ? f->name : "(null)");
  switch (f->kind) {
  case FS_FIELD_NONE: fputs("-", out); break;
  case FS_FIELD_STR: put_escaped(out, f->v.str.ptr, f->v.str.len); break;
  case FS_FIELD_BYTES:
    fputs("0x", out);
    for (uint64_t i = 0; i < f->v.str.len; i++) {
      fprintf(out, "%02x", (unsigned char)f->v.str.ptr[i]);
    }
    break;
  case FS_FIELD_I64: fprintf(out, "%" PRId64, f->v.i64); break;
  case FS_FIELD_U64:
  case FS_FIELD_TIME:
  case FS_FIELD_DURATION: fprintf(out, "%" PRIu64, f->v.u64); break;
  case FS_FIELD_BOOL: fputs(f->v.u64 ? "true" : "false", out); break;
  case FS_FIELD_F64: fprintf(out, "%.17g", f->v.f64); break;
  case FS_FIELD_IP: {
    char buf[64];
    fs_addr_format(f->v.ip.family, f->v.ip.addr, buf, sizeof buf);
    fputs(buf, out);
    break;
  }
  case FS_FIELD_STR_LIST:
    fputc('[', out);
    for (uint32_t i = 0; i < f->count; i++) {
      if (i > 0) {
        fputc(',', out);
      }
      put_escaped(out, f->v.list[i].ptr, f->v.list[i].len);
    }
    fputc(']', out);
    break;
  case FS_FIELD_U64_LIST:
    fputc('[', out);
    for (uint32_t i = 0; i < f->count; i++) {
      fprintf(out, "%s%" PRIu64, i > 0 ? "," : "", f->v.u64s[i]);
    }
    fputc(']', out);
    break;
  default: fprintf(out, "?kind%u", (unsigned)f->kind); break;
  }
}

int fsi_chk_write_event(FILE *out, const fs_event *ev) {
  char key[FS_KEY_TEXT_MAX] = "-";
  if (ev->key != NULL) {
    fs_flow_key_format(ev->key, key, sizeof key);
  }
  if (ev->type == FS_EV_MESSAGE && ev->message != NULL) {
    const fs_message *m = ev->message;
    fprintf(out, "message [%s] side=%u ts=%" PRIu64 " %s/%s", key, (unsigned)m->side, m->ts,
            m->protocol != NULL ? m->protocol : "?", m->msg_type != NULL ? m->msg_type : "?");
    for (uint32_t i = 0; i < m->n_fields; i++) {
      put_field(out, &m->fields[i]);
    }
    fputc('\n', out);
    return 1;
  }
  if (ev->type == FS_EV_FLOW_ENDED) {
    fprintf(out, "end [%s] reason=%s\n", key, fs_end_reason_name(ev->end_reason));
    return 1;
  }
  return 0;
}
