/* expand_cases.h - rows of test_expand.c: {defs, input, status, result, warnings, undefined} */
{"a=1", "${a?{yes}:{no}}", 0, "yes", "", ""},
