//! Every vector of `shared/vectors/directives-parse.toml` as a named test.
//!
//! Ports Go 1.27.3 go/build `TestExpandSrcDir`, `TestShellSafety`, `TestMatch`, `TestShouldBuild`;
//! cmd/go script tests `cgo_bad_directives.txt`, `cgo_flag_contains_space.txt`; cmd/cgo
//! `TestNotMatchedCFunction`. The table is transcribed from the TOML file;
//! `table_matches_vector_file` re-reads the file and fails on drift.

mod common;

use common::parse::*;

vector!(
    expand_srcdir_00_l_srcdir_libs_ladd,
    expand_srcdir,
    "-L ${SRCDIR}/libs -ladd",
    "/projects/src/add",
    "-L /projects/src/add/libs -ladd",
    true
);
vector!(
    expand_srcdir_01_srcdir_add_linux_386_a_pthread_lstdc,
    expand_srcdir,
    "${SRCDIR}/add_linux_386.a -pthread -lstdc++",
    "/projects/src/add",
    "/projects/src/add/add_linux_386.a -pthread -lstdc++",
    true
);
vector!(
    expand_srcdir_02_nothing_to_expand_here,
    expand_srcdir,
    "Nothing to expand here!",
    "/projects/src/add",
    "Nothing to expand here!",
    true
);
vector!(
    expand_srcdir_03_punct,
    expand_srcdir,
    "$",
    "/projects/src/add",
    "$",
    true
);
vector!(
    expand_srcdir_04_punct,
    expand_srcdir,
    "$$",
    "/projects/src/add",
    "$$",
    true
);
vector!(
    expand_srcdir_05_punct,
    expand_srcdir,
    "${",
    "/projects/src/add",
    "${",
    false
);
vector!(
    expand_srcdir_06_punct,
    expand_srcdir,
    "$}",
    "/projects/src/add",
    "$}",
    false
);
vector!(
    expand_srcdir_07_foo_bar,
    expand_srcdir,
    "$FOO ${BAR}",
    "/projects/src/add",
    "$FOO ${BAR}",
    false
);
vector!(
    expand_srcdir_08_find_me_the_srcdirectory,
    expand_srcdir,
    "Find me the $SRCDIRECTORY.",
    "/projects/src/add",
    "Find me the $SRCDIRECTORY.",
    true
);
vector!(
    expand_srcdir_09_srcdir_is_missing_braces,
    expand_srcdir,
    "$SRCDIR is missing braces",
    "/projects/src/add",
    "$SRCDIR is missing braces",
    true
);
vector!(
    expand_srcdir_10_i_srcdir_include,
    expand_srcdir,
    "-I${SRCDIR}/../include",
    "/projects/src/issue 11868",
    "-I/projects/src/issue 11868/../include",
    true
);
vector!(
    expand_srcdir_11_i_srcdir,
    expand_srcdir,
    "-I${SRCDIR}",
    "~wtf$@%^",
    "-I~wtf$@%^",
    true
);
vector!(
    expand_srcdir_12_x_srcdir_1_srcdir_2,
    expand_srcdir,
    "-X${SRCDIR}/1,${SRCDIR}/2",
    "/projects/src/issue 11868",
    "-X/projects/src/issue 11868/1,/projects/src/issue 11868/2",
    true
);
vector!(
    expand_srcdir_13_i_tmp_i_tmp,
    expand_srcdir,
    "-I/tmp -I/tmp",
    "/tmp2",
    "-I/tmp -I/tmp",
    true
);
vector!(
    expand_srcdir_14_i_tmp,
    expand_srcdir,
    "-I/tmp",
    "/tmp/[0]",
    "-I/tmp",
    true
);
vector!(
    expand_srcdir_15_i_srcdir_dir,
    expand_srcdir,
    "-I${SRCDIR}/dir",
    "/tmp/[0]",
    "-I/tmp/[0]/dir",
    false
);
vector!(
    expand_srcdir_16_i_srcdir_dir,
    expand_srcdir,
    "-I${SRCDIR}/dir",
    "/tmp/go go",
    "-I/tmp/go go/dir",
    true
);
vector!(
    expand_srcdir_17_i_srcdir_dir_dir,
    expand_srcdir,
    "-I${SRCDIR}/dir dir",
    "/tmp/go",
    "-I/tmp/go/dir dir",
    true
);
vector!(
    match_00_linux_amd64_tags_none,
    match_expr,
    "linux",
    "amd64",
    true,
    &[],
    "linux,amd64",
    true,
    &["linux", "amd64"]
);
vector!(
    match_01_linux_amd64_foo_tags_none,
    match_expr,
    "linux",
    "amd64",
    true,
    &[],
    "linux,amd64,!foo",
    true,
    &["linux", "amd64", "foo"]
);
vector!(
    match_02_linux_amd64_foo_tags_none,
    match_expr,
    "linux",
    "amd64",
    true,
    &[],
    "linux,amd64,foo",
    false,
    &["linux", "amd64", "foo"]
);
vector!(
    match_03_linux_amd64_tags_foo,
    match_expr,
    "linux",
    "amd64",
    true,
    &["foo"],
    "linux,amd64",
    true,
    &["linux", "amd64"]
);
vector!(
    match_04_linux_amd64_foo_tags_foo,
    match_expr,
    "linux",
    "amd64",
    true,
    &["foo"],
    "linux,amd64,foo",
    true,
    &["linux", "amd64", "foo"]
);
vector!(
    match_05_linux_amd64_foo_tags_foo,
    match_expr,
    "linux",
    "amd64",
    true,
    &["foo"],
    "linux,amd64,!foo",
    false,
    &["linux", "amd64", "foo"]
);
vector!(
    match_06_linux_amd64_bar_tags_foo,
    match_expr,
    "linux",
    "amd64",
    true,
    &["foo"],
    "linux,amd64,!bar",
    true,
    &["linux", "amd64", "bar"]
);
vector!(
    match_07_linux_amd64_bar_tags_foo,
    match_expr,
    "linux",
    "amd64",
    true,
    &["foo"],
    "linux,amd64,bar",
    false,
    &["linux", "amd64", "bar"]
);
vector!(
    should_build_yes,
    should_build,
    &["yes"],
    false,
    "// +build yes\n\npackage main\n",
    true,
    false,
    &["yes"]
);
vector!(
    should_build_yes2,
    should_build,
    &["yes"],
    false,
    "//go:build yes\npackage main\n",
    true,
    false,
    &["yes"]
);
vector!(
    should_build_or,
    should_build,
    &["yes"],
    false,
    "// +build no yes\n\npackage main\n",
    true,
    false,
    &["no", "yes"]
);
vector!(
    should_build_or2,
    should_build,
    &["yes"],
    false,
    "//go:build no || yes\npackage main\n",
    true,
    false,
    &["no", "yes"]
);
vector!(
    should_build_and,
    should_build,
    &["yes"],
    false,
    "// +build no,yes\n\npackage main\n",
    false,
    false,
    &["no", "yes"]
);
vector!(
    should_build_and2,
    should_build,
    &["yes"],
    false,
    "//go:build no && yes\npackage main\n",
    false,
    false,
    &["no", "yes"]
);
vector!(
    should_build_cgo,
    should_build,
    &["yes"],
    false,
    "// +build cgo\n\n// Copyright The Go Authors.\n\n// This package implements parsing of tags like\n// +build tag1\npackage build",
    false,
    false,
    &["cgo"]
);
vector!(
    should_build_cgo2,
    should_build,
    &["yes"],
    false,
    "//go:build cgo\n// Copyright The Go Authors.\n\n// This package implements parsing of tags like\n// +build tag1\npackage build",
    false,
    false,
    &["cgo"]
);
vector!(
    should_build_afterpackage,
    should_build,
    &["yes"],
    false,
    "// Copyright The Go Authors.\n\npackage build\n\n// shouldBuild checks tags given by lines of the form\n// +build tag\n//go:build tag\nfunc shouldBuild(content []byte)\n",
    true,
    false,
    &[]
);
vector!(
    should_build_tooclose,
    should_build,
    &["yes"],
    false,
    "// +build yes\npackage main\n",
    true,
    false,
    &[]
);
vector!(
    should_build_tooclose2,
    should_build,
    &["yes"],
    false,
    "//go:build yes\npackage main\n",
    true,
    false,
    &["yes"]
);
vector!(
    should_build_toocloseno,
    should_build,
    &["yes"],
    false,
    "// +build no\npackage main\n",
    true,
    false,
    &[]
);
vector!(
    should_build_toocloseno2,
    should_build,
    &["yes"],
    false,
    "//go:build no\npackage main\n",
    false,
    false,
    &["no"]
);
vector!(
    should_build_binaryonly,
    should_build,
    &["yes"],
    false,
    "//go:binary-only-package\n// +build yes\npackage main\n",
    true,
    true,
    &[]
);
vector!(
    should_build_binaryonly2,
    should_build,
    &["yes"],
    false,
    "//go:binary-only-package\n//go:build no\npackage main\n",
    false,
    true,
    &["no"]
);
vector!(
    should_build_validgobuild,
    should_build,
    &["yes"],
    false,
    "// +build yes\n\n//go:build no\npackage main\n",
    false,
    false,
    &["no"]
);
vector!(
    should_build_missingbuild2,
    should_build,
    &["yes"],
    false,
    "/* */\n// +build yes\n\n//go:build no\npackage main\n",
    false,
    false,
    &["no"]
);
vector!(
    should_build_comment1,
    should_build,
    &["yes"],
    false,
    "/*\n//go:build no\n*/\n\npackage main\n",
    true,
    false,
    &[]
);
vector!(
    should_build_comment2,
    should_build,
    &["yes"],
    false,
    "/*\ntext\n*/\n\n//go:build no\npackage main\n",
    false,
    false,
    &["no"]
);
vector!(
    should_build_comment3,
    should_build,
    &["yes"],
    false,
    "/*/*/ /* hi *//* \ntext\n*/\n\n//go:build no\npackage main\n",
    false,
    false,
    &["no"]
);
vector!(
    should_build_comment4,
    should_build,
    &["yes"],
    false,
    "/**///go:build no\npackage main\n",
    true,
    false,
    &[]
);
vector!(
    should_build_comment5,
    should_build,
    &["yes"],
    false,
    "/**/\n//go:build no\npackage main\n",
    false,
    false,
    &["no"]
);
vector!(
    cgo_line_cflags_fplugin,
    cgo_line,
    &["#cgo CFLAGS: -fplugin=foo.so"],
    Some(&["-fplugin=foo.so"]),
    None,
    None,
    false,
    "invalid flag in #cgo CFLAGS: -fplugin=foo.so"
);
vector!(
    cgo_line_cflags_ibar_fplugin,
    cgo_line,
    &["#cgo CFLAGS: -Ibar -fplugin=foo.so"],
    Some(&["-I{srcdir}/bar", "-fplugin=foo.so"]),
    None,
    None,
    false,
    "invalid flag in #cgo CFLAGS: -fplugin=foo.so"
);
vector!(
    cgo_line_pkgconfig_dash_foo,
    cgo_line,
    &["#cgo pkg-config: -foo"],
    None,
    None,
    Some(&["-foo"]),
    false,
    "invalid pkg-config package name: -foo"
);
vector!(
    cgo_line_pkgconfig_at_foo,
    cgo_line,
    &["#cgo pkg-config: @foo"],
    None,
    None,
    Some(&["@foo"]),
    false,
    "invalid pkg-config package name: @foo"
);
vector!(
    cgo_line_pkgconfig_log_file,
    cgo_line,
    &["#cgo pkg-config: --log-file=/tmp/log"],
    None,
    None,
    Some(&["--log-file=/tmp/log"]),
    false,
    "invalid flag in pkg-config: --log-file=/tmp/log"
);
vector!(
    cgo_line_cflags_at_foo,
    cgo_line,
    &["#cgo CFLAGS: @foo"],
    Some(&["@foo"]),
    None,
    None,
    false,
    "invalid flag in #cgo CFLAGS: @foo"
);
vector!(
    cgo_line_cflags_dash_d,
    cgo_line,
    &["#cgo CFLAGS: -D"],
    Some(&["-D"]),
    None,
    None,
    false,
    "invalid flag in #cgo CFLAGS: -D without argument"
);
vector!(
    cgo_line_cflags_dash_d_space_at_foo,
    cgo_line,
    &["#cgo CFLAGS: -D @foo"],
    Some(&["-D", "@foo"]),
    None,
    None,
    false,
    "invalid flag in #cgo CFLAGS: -D @foo"
);
vector!(
    cgo_line_cflags_dash_d_at_foo,
    cgo_line,
    &["#cgo CFLAGS: -D@foo"],
    Some(&["-D@foo"]),
    None,
    None,
    false,
    "invalid flag in #cgo CFLAGS: -D@foo"
);
vector!(
    cgo_line_flag_contains_space,
    cgo_line,
    &["#cgo CFLAGS: -I\"c flags\"", "#cgo LDFLAGS: -L\"ld flags\""],
    Some(&["-I{srcdir}/c flags"]),
    Some(&["-L{srcdir}/ld flags"]),
    None,
    true,
    ""
);
vector!(
    cgo_line_note_i_at_rewritten,
    cgo_line,
    &["#cgo CFLAGS: -I @foo"],
    Some(&["-I", "{srcdir}/@foo"]),
    None,
    None,
    true,
    ""
);
vector!(
    env_flags_env_cflags_not_checked,
    env_flags,
    &[("CGO_CFLAGS", "-D@foo")],
    &[],
    true,
    "-D@foo"
);
vector!(
    go_directive_cgo_ldflag_in_user_file,
    go_directive,
    "x.go",
    "package x\n\n//go:cgo_ldflag \"-fplugin=foo.so\"\n\nimport \"C\"\n",
    false,
    "only allowed in cgo-generated code"
);
vector!(
    go_directive_underscore_file_ignored,
    go_directive,
    "_cgo_yy.go",
    "package x\n\n//go:cgo_ldflag \"-fplugin=foo.so\"\n\nimport \"C\"\n",
    false,
    "no Go files"
);
vector!(
    cgo_directive_testnotmatchedcfunction,
    cgo_directive,
    &["#cgo noescape noMatchedCFunction"],
    false,
    "#cgo noescape noMatchedCFunction: no matched C function"
);

/// Number of cases per section, transcribed.
const COUNTS: &[(&str, usize)] = &[
    ("expand_srcdir", 18),
    ("match", 8),
    ("should_build", 22),
    ("cgo_line", 11),
    ("env_flags", 1),
    ("go_directive", 2),
    ("cgo_directive", 1),
];

#[test]
fn table_matches_vector_file() {
    let file = common::toml::parse(common::PARSE_TOML);
    for (section, n) in COUNTS {
        assert_eq!(
            file.iter().filter(|t| t.section == *section).count(),
            *n,
            "section {section}"
        );
    }
    // Spot-check content: every expand_srcdir input and every cgo_line error is transcribed.
    let this = include_str!("vectors_parse.rs");
    for t in file
        .iter()
        .filter(|t| t.section == "expand_srcdir" || t.section == "match")
    {
        let key = if t.section == "match" {
            "expr"
        } else {
            "input"
        };
        let lit = common::rust_str_literal(&t.string(key));
        assert!(this.contains(&lit), "missing {lit}");
    }
    for t in file.iter().filter(|t| {
        (t.section == "cgo_line" || t.section == "cgo_directive") && t.get("error").is_some()
    }) {
        let lit = common::rust_str_literal(&t.string("error"));
        assert!(this.contains(&lit), "missing {lit}");
    }
}
