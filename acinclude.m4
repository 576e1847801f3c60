# PK_SONAME(DEFINE, LIBS, PREFIX) - define DEFINE to the file name (DT_NEEDED)
# of the shared library whose name starts with PREFIX that linking LIBS pulls
# in, e.g. PK_SONAME([PQ_SONAME], [-lpq], [libpq.]) -> "libpq.so.5": the name
# libcfg's adapters hand to dlopen() (libcfg/base/dlib.c).
AC_DEFUN([PK_SONAME], [
  AC_REQUIRE([PK_PROG_OBJDUMP])
  AC_MSG_CHECKING([the shared library file of $2])
  pk_save_LIBS=$LIBS
  LIBS="-Wl,--no-as-needed $2 $LIBS"
  pk_so=
  AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
    [pk_so=`$OBJDUMP -p conftest$EXEEXT | awk -v p="$3" '$[]1 == "NEEDED" && [index]($[]2, p) == 1 { print $[]2; exit }'`])
  LIBS=$pk_save_LIBS
  AS_IF([test -z "$pk_so"], [AC_MSG_ERROR([cannot tell which shared library $2 links])])
  AC_MSG_RESULT([$pk_so])
  AC_DEFINE_UNQUOTED([$1], ["$pk_so"], [the shared library loaded for $2 at its first use])
])

# PK_PROG_OBJDUMP - objdump, to read a linked program's DT_NEEDED entries
AC_DEFUN([PK_PROG_OBJDUMP], [
  AC_CHECK_TOOL([OBJDUMP], [objdump], [])
  AS_IF([test -z "$OBJDUMP"], [AC_MSG_ERROR([objdump not found: install the Debian package binutils])])
])
