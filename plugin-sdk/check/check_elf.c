/* SPDX-License-Identifier: MIT */
/*
 * Reads a plugin's ELF file without loading it: its DT_NEEDED list and its
 * exported dynamic symbols. A plugin links nothing but flowscope-core,
 * libc and its own protocol dependency, and exports only fs_plugin_entry
 * (ABI.md, "Host services by table"). Every offset is bounds-checked: the
 * file may be anything.
 */
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ELF class of this machine: the only one a loadable plugin can have. */
#if __SIZEOF_POINTER__ == 8
#define NATIVE_CLASS ELFCLASS64
#else
#define NATIVE_CLASS ELFCLASS32
#endif
/* Symbol binding and type from st_info (the same layout in both classes). */
#define SYM_BIND(info) ((unsigned)(info) >> 4)
#define SYM_TYPE(info) ((unsigned)(info)&0xfu)

/* Largest plugin file the checker reads. */
#define MAX_FILE (256u << 20)

typedef struct elf_file {
  unsigned char *data;
  size_t size;
} elf_file;

/* 1 when [off, off + len) lies inside the file. */
static int in_file(const elf_file *f, uint64_t off, uint64_t len) {
  return off <= f->size && len <= f->size - off;
}

/* NUL-terminated string at strtab section offset name, or NULL. */
static const char *str_at(const elf_file *f, const ElfW(Shdr) * strtab, uint64_t name) {
  if (name >= strtab->sh_size || !in_file(f, strtab->sh_offset, strtab->sh_size)) {
    return NULL;
  }
  const char *s = (const char *)f->data + strtab->sh_offset + name;
  return memchr(s, '\0', strtab->sh_size - name) != NULL ? s : NULL;
}

static int read_file(const char *path, elf_file *f, FILE *report) {
  FILE *in = fopen(path, "rb");
  if (in == NULL) {
    fprintf(report, "  cannot open %s\n", path);
    return -1;
  }
  long size = fseek(in, 0, SEEK_END) == 0 ? ftell(in) : -1;
  rewind(in);
  if (size < 0 || (unsigned long)size > MAX_FILE) {
    fprintf(report, "  %s: cannot size the file, or larger than %u MiB\n", path, MAX_FILE >> 20);
    fclose(in);
    return -1;
  }
  f->data = malloc(size > 0 ? (size_t)size : 1);
  f->size = f->data != NULL ? fread(f->data, 1, (size_t)size, in) : 0;
  fclose(in);
  if (f->data == NULL || f->size < sizeof(ElfW(Ehdr))) {
    fprintf(report, "  %s: too short for an ELF header\n", path);
    return -1;
  }
  return 0;
}

/* The section headers, or NULL with a report. */
static const ElfW(Shdr) * sections(const elf_file *f, unsigned *n, FILE *report) {
  const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)f->data;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != NATIVE_CLASS) {
    fprintf(report, "  not an ELF file of this machine's class\n");
    return NULL;
  }
  if (eh->e_shentsize != sizeof(ElfW(Shdr)) ||
      !in_file(f, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(ElfW(Shdr)))) {
    fprintf(report, "  section headers out of bounds\n");
    return NULL;
  }
  *n = eh->e_shnum;
  return (const ElfW(Shdr) *)(f->data + eh->e_shoff);
}

/* 1 when soname is one a plugin may depend on. */
static int allowed_needed(const char *soname, const chk_opts *o) {
  static const char *const always[] = {
      "libflowscope-core.so.", /* the core: pure helpers */
      "libc.so.",              /* libc */
      "ld-linux",              /* the dynamic loader, listed by some toolchains */
      "libasan.so.",           /* sanitizer builds (CMAKE_BUILD_TYPE=Sanitize) */
      "libubsan.so.",
  };
  for (size_t i = 0; i < sizeof always / sizeof always[0]; i++) {
    if (strncmp(soname, always[i], strlen(always[i])) == 0) {
      return 1;
    }
  }
  for (int i = 0; i < o->n_allow; i++) {
    if (strcmp(soname, o->allow[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

static int check_needed(const elf_file *f, const ElfW(Shdr) * sh, unsigned n, const chk_opts *o,
                        FILE *report) {
  int problems = 0;
  for (unsigned i = 0; i < n; i++) {
    if (sh[i].sh_type != SHT_DYNAMIC || sh[i].sh_link >= n ||
        !in_file(f, sh[i].sh_offset, sh[i].sh_size)) {
      continue;
    }
    const ElfW(Dyn) *dyn = (const ElfW(Dyn) *)(f->data + sh[i].sh_offset);
    size_t count = sh[i].sh_size / sizeof *dyn;
    for (size_t j = 0; j < count && dyn[j].d_tag != DT_NULL; j++) {
      if (dyn[j].d_tag != DT_NEEDED) {
        continue;
      }
      const char *soname = str_at(f, &sh[sh[i].sh_link], dyn[j].d_un.d_val);
      if (soname == NULL) {
        fprintf(report, "  DT_NEEDED entry with a bad string offset\n");
        problems++;
      } else if (!allowed_needed(soname, o)) {
        fprintf(report,
                "  links %s: a plugin may link only libflowscope-core, libc and its own "
                "protocol dependency (declare that with --allow-needed %s)\n",
                soname, soname);
        problems++;
      }
    }
  }
  return problems;
}

static int check_exports(const elf_file *f, const ElfW(Shdr) * sh, unsigned n, FILE *report) {
  int problems = 0, entry = 0;
  for (unsigned i = 0; i < n; i++) {
    if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= n ||
        !in_file(f, sh[i].sh_offset, sh[i].sh_size)) {
      continue;
    }
    const ElfW(Sym) *sym = (const ElfW(Sym) *)(f->data + sh[i].sh_offset);
    size_t count = sh[i].sh_size / sizeof *sym;
    for (size_t j = 1; j < count; j++) {
      unsigned bind = SYM_BIND(sym[j].st_info);
      unsigned type = SYM_TYPE(sym[j].st_info);
      if (sym[j].st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK) ||
          (sym[j].st_shndx == SHN_ABS && type == STT_OBJECT && sym[j].st_value == 0)) {
        continue; /* imports, locals, and version-definition names */
      }
      const char *name = str_at(f, &sh[sh[i].sh_link], sym[j].st_name);
      if (name != NULL && strcmp(name, FS_PLUGIN_ENTRY_SYMBOL) == 0) {
        entry = 1;
      } else {
        fprintf(report,
                "  exports %s: only %s may be exported (build with flowscope_add_plugin, whose "
                "version script hides the rest)\n",
                name != NULL ? name : "(bad name)", FS_PLUGIN_ENTRY_SYMBOL);
        problems++;
      }
    }
  }
  if (!entry) {
    fprintf(report, "  does not export %s\n", FS_PLUGIN_ENTRY_SYMBOL);
    problems++;
  }
  return problems;
}

int fsi_chk_elf(const char *path, const chk_opts *o, FILE *report) {
  elf_file f = {NULL, 0};
  int problems = 1;
  unsigned n = 0;
  if (read_file(path, &f, report) == 0) {
    const ElfW(Shdr) *sh = sections(&f, &n, report);
    if (sh != NULL) {
      problems = check_needed(&f, sh, n, o, report) + check_exports(&f, sh, n, report);
    }
  }
  free(f.data);
  return problems;
}
