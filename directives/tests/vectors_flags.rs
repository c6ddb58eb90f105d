//! Every vector of `shared/vectors/directives-flags.toml` as a named test.
//!
//! Ports Go 1.27.3 `cmd/go/internal/work/security_test.go` (`TestCheckCompilerFlags`,
//! `TestCheckLinkerFlags`, `TestCheckFlagAllowDisallow`, `TestCheckCompilerFlagsForInternalLink`).
//! The table below is transcribed from the TOML file; `table_matches_vector_file` re-reads the
//! file and fails if the two drift apart.

mod common;

use common::flags::*;
use directives as _;

vector!(compiler_good_000_dfoo, compiler, &["-DFOO"], true);
vector!(compiler_good_001_dfoo_bar, compiler, &["-Dfoo=bar"], true);
vector!(compiler_good_002_ufoo, compiler, &["-Ufoo"], true);
vector!(compiler_good_003_ufoo1, compiler, &["-Ufoo1"], true);
vector!(compiler_good_004_f_qt, compiler, &["-F/Qt"], true);
vector!(compiler_good_005_f_qt, compiler, &["-F", "/Qt"], true);
vector!(compiler_good_006_i, compiler, &["-I/"], true);
vector!(
    compiler_good_007_i_etc_passwd,
    compiler,
    &["-I/etc/passwd"],
    true
);
vector!(compiler_good_008_i, compiler, &["-I."], true);
vector!(compiler_good_009_o, compiler, &["-O"], true);
vector!(compiler_good_010_o2, compiler, &["-O2"], true);
vector!(compiler_good_011_osmall, compiler, &["-Osmall"], true);
vector!(compiler_good_012_w, compiler, &["-W"], true);
vector!(compiler_good_013_wall, compiler, &["-Wall"], true);
vector!(
    compiler_good_014_wp_dfoo_bar,
    compiler,
    &["-Wp,-Dfoo=bar"],
    true
);
vector!(compiler_good_015_wp_ufoo, compiler, &["-Wp,-Ufoo"], true);
vector!(compiler_good_016_wp_dfoo1, compiler, &["-Wp,-Dfoo1"], true);
vector!(compiler_good_017_wp_ufoo1, compiler, &["-Wp,-Ufoo1"], true);
vector!(compiler_good_018_flto, compiler, &["-flto"], true);
vector!(compiler_good_019_fobjc_arc, compiler, &["-fobjc-arc"], true);
vector!(
    compiler_good_020_fno_objc_arc,
    compiler,
    &["-fno-objc-arc"],
    true
);
vector!(
    compiler_good_021_fomit_frame_pointer,
    compiler,
    &["-fomit-frame-pointer"],
    true
);
vector!(
    compiler_good_022_fno_omit_frame_pointer,
    compiler,
    &["-fno-omit-frame-pointer"],
    true
);
vector!(compiler_good_023_fpic, compiler, &["-fpic"], true);
vector!(compiler_good_024_fno_pic, compiler, &["-fno-pic"], true);
vector!(compiler_good_025_fpic, compiler, &["-fPIC"], true);
vector!(compiler_good_026_fno_pic, compiler, &["-fno-PIC"], true);
vector!(compiler_good_027_fpie, compiler, &["-fpie"], true);
vector!(compiler_good_028_fno_pie, compiler, &["-fno-pie"], true);
vector!(compiler_good_029_fpie, compiler, &["-fPIE"], true);
vector!(compiler_good_030_fno_pie, compiler, &["-fno-PIE"], true);
vector!(
    compiler_good_031_fsplit_stack,
    compiler,
    &["-fsplit-stack"],
    true
);
vector!(
    compiler_good_032_fno_split_stack,
    compiler,
    &["-fno-split-stack"],
    true
);
vector!(
    compiler_good_033_fstack_xxx,
    compiler,
    &["-fstack-xxx"],
    true
);
vector!(
    compiler_good_034_fno_stack_xxx,
    compiler,
    &["-fno-stack-xxx"],
    true
);
vector!(
    compiler_good_035_fsanitize_hands,
    compiler,
    &["-fsanitize=hands"],
    true
);
vector!(
    compiler_good_036_ftls_model_local_dynamic,
    compiler,
    &["-ftls-model=local-dynamic"],
    true
);
vector!(compiler_good_037_g, compiler, &["-g"], true);
vector!(compiler_good_038_ggdb, compiler, &["-ggdb"], true);
vector!(
    compiler_good_039_mabi_lp64d,
    compiler,
    &["-mabi=lp64d"],
    true
);
vector!(
    compiler_good_040_march_souza,
    compiler,
    &["-march=souza"],
    true
);
vector!(
    compiler_good_041_mcmodel_medium,
    compiler,
    &["-mcmodel=medium"],
    true
);
vector!(compiler_good_042_mcpu_123, compiler, &["-mcpu=123"], true);
vector!(compiler_good_043_mfpu_123, compiler, &["-mfpu=123"], true);
vector!(
    compiler_good_044_mtls_dialect_gnu,
    compiler,
    &["-mtls-dialect=gnu"],
    true
);
vector!(
    compiler_good_045_mtls_dialect_gnu2,
    compiler,
    &["-mtls-dialect=gnu2"],
    true
);
vector!(
    compiler_good_046_mtls_dialect_trad,
    compiler,
    &["-mtls-dialect=trad"],
    true
);
vector!(
    compiler_good_047_mtls_dialect_desc,
    compiler,
    &["-mtls-dialect=desc"],
    true
);
vector!(
    compiler_good_048_mtls_dialect_xyz,
    compiler,
    &["-mtls-dialect=xyz"],
    true
);
vector!(
    compiler_good_049_msimd_lasx,
    compiler,
    &["-msimd=lasx"],
    true
);
vector!(compiler_good_050_msimd_xyz, compiler, &["-msimd=xyz"], true);
vector!(
    compiler_good_051_mdouble_float,
    compiler,
    &["-mdouble-float"],
    true
);
vector!(compiler_good_052_mrelax, compiler, &["-mrelax"], true);
vector!(
    compiler_good_053_mstrict_align,
    compiler,
    &["-mstrict-align"],
    true
);
vector!(compiler_good_054_mlsx, compiler, &["-mlsx"], true);
vector!(compiler_good_055_mlasx, compiler, &["-mlasx"], true);
vector!(compiler_good_056_mfrecipe, compiler, &["-mfrecipe"], true);
vector!(compiler_good_057_mlam_bh, compiler, &["-mlam-bh"], true);
vector!(compiler_good_058_mlamcas, compiler, &["-mlamcas"], true);
vector!(
    compiler_good_059_mld_seq_sa,
    compiler,
    &["-mld-seq-sa"],
    true
);
vector!(compiler_good_060_mno_relax, compiler, &["-mno-relax"], true);
vector!(
    compiler_good_061_mno_strict_align,
    compiler,
    &["-mno-strict-align"],
    true
);
vector!(compiler_good_062_mno_lsx, compiler, &["-mno-lsx"], true);
vector!(compiler_good_063_mno_lasx, compiler, &["-mno-lasx"], true);
vector!(
    compiler_good_064_mno_frecipe,
    compiler,
    &["-mno-frecipe"],
    true
);
vector!(
    compiler_good_065_mno_lam_bh,
    compiler,
    &["-mno-lam-bh"],
    true
);
vector!(
    compiler_good_066_mno_lamcas,
    compiler,
    &["-mno-lamcas"],
    true
);
vector!(
    compiler_good_067_mno_ld_seq_sa,
    compiler,
    &["-mno-ld-seq-sa"],
    true
);
vector!(
    compiler_good_068_mlarge_data_threshold_16,
    compiler,
    &["-mlarge-data-threshold=16"],
    true
);
vector!(
    compiler_good_069_mtune_happybirthday,
    compiler,
    &["-mtune=happybirthday"],
    true
);
vector!(
    compiler_good_070_mstack_overflow,
    compiler,
    &["-mstack-overflow"],
    true
);
vector!(
    compiler_good_071_mno_stack_overflow,
    compiler,
    &["-mno-stack-overflow"],
    true
);
vector!(
    compiler_good_072_mmacosx_version,
    compiler,
    &["-mmacosx-version"],
    true
);
vector!(
    compiler_good_073_mnop_fun_dllimport,
    compiler,
    &["-mnop-fun-dllimport"],
    true
);
vector!(compiler_good_074_pthread, compiler, &["-pthread"], true);
vector!(compiler_good_075_std_c99, compiler, &["-std=c99"], true);
vector!(compiler_good_076_xc, compiler, &["-xc"], true);
vector!(compiler_good_077_d_foo, compiler, &["-D", "FOO"], true);
vector!(
    compiler_good_078_d_foo_bar,
    compiler,
    &["-D", "foo=bar"],
    true
);
vector!(compiler_good_079_i, compiler, &["-I", "."], true);
vector!(
    compiler_good_080_i_etc_passwd,
    compiler,
    &["-I", "/etc/passwd"],
    true
);
vector!(compiler_good_081_i, compiler, &["-I", "世界"], true);
vector!(
    compiler_good_082_i_usr_include_libxml2,
    compiler,
    &["-I", "=/usr/include/libxml2"],
    true
);
vector!(compiler_good_083_i_dir, compiler, &["-I", "dir"], true);
vector!(
    compiler_good_084_i_sysroot_dir,
    compiler,
    &["-I", "$SYSROOT/dir"],
    true
);
vector!(
    compiler_good_085_isystem_usr_include_mozjs_68,
    compiler,
    &["-isystem", "/usr/include/mozjs-68"],
    true
);
vector!(
    compiler_good_086_include_usr_include_mozjs_68_requireddef,
    compiler,
    &["-include", "/usr/include/mozjs-68/RequiredDefines.h"],
    true
);
vector!(
    compiler_good_087_framework_chocolate,
    compiler,
    &["-framework", "Chocolate"],
    true
);
vector!(compiler_good_088_x_c, compiler, &["-x", "c"], true);
vector!(compiler_good_089_v, compiler, &["-v"], true);
vector!(compiler_bad_090_d_x, compiler, &["-D@X"], false);
vector!(compiler_bad_091_d_x, compiler, &["-D-X"], false);
vector!(compiler_bad_092_ufoo_bar, compiler, &["-Ufoo=bar"], false);
vector!(compiler_bad_093_f_dir, compiler, &["-F@dir"], false);
vector!(compiler_bad_094_f_dir, compiler, &["-F-dir"], false);
vector!(compiler_bad_095_i_dir, compiler, &["-I@dir"], false);
vector!(compiler_bad_096_i_dir, compiler, &["-I-dir"], false);
vector!(compiler_bad_097_o_1, compiler, &["-O@1"], false);
vector!(compiler_bad_098_wa_foo, compiler, &["-Wa,-foo"], false);
vector!(compiler_bad_099_w_foo, compiler, &["-W@foo"], false);
vector!(
    compiler_bad_100_wp_dx_d_x,
    compiler,
    &["-Wp,-DX,-D@X"],
    false
);
vector!(
    compiler_bad_101_wp_ux_u_x,
    compiler,
    &["-Wp,-UX,-U@X"],
    false
);
vector!(compiler_bad_102_g_gdb, compiler, &["-g@gdb"], false);
vector!(compiler_bad_103_g_gdb, compiler, &["-g-gdb"], false);
vector!(
    compiler_bad_104_march_dawn,
    compiler,
    &["-march=@dawn"],
    false
);
vector!(
    compiler_bad_105_march_dawn,
    compiler,
    &["-march=-dawn"],
    false
);
vector!(
    compiler_bad_106_mcmodel_model,
    compiler,
    &["-mcmodel=@model"],
    false
);
vector!(compiler_bad_107_mfpu_0, compiler, &["-mfpu=@0"], false);
vector!(compiler_bad_108_mfpu_0, compiler, &["-mfpu=-0"], false);
vector!(
    compiler_bad_109_mlarge_data_threshold_12,
    compiler,
    &["-mlarge-data-threshold=@12"],
    false
);
vector!(
    compiler_bad_110_mtls_dialect_gnu,
    compiler,
    &["-mtls-dialect=@gnu"],
    false
);
vector!(
    compiler_bad_111_mtls_dialect_gnu,
    compiler,
    &["-mtls-dialect=-gnu"],
    false
);
vector!(
    compiler_bad_112_msimd_none,
    compiler,
    &["-msimd=@none"],
    false
);
vector!(
    compiler_bad_113_msimd_none,
    compiler,
    &["-msimd=-none"],
    false
);
vector!(compiler_bad_114_std_c99, compiler, &["-std=@c99"], false);
vector!(compiler_bad_115_std_c99, compiler, &["-std=-c99"], false);
vector!(compiler_bad_116_x_c, compiler, &["-x@c"], false);
vector!(compiler_bad_117_x_c, compiler, &["-x-c"], false);
vector!(compiler_bad_118_d_foo, compiler, &["-D", "@foo"], false);
vector!(compiler_bad_119_d_foo, compiler, &["-D", "-foo"], false);
vector!(compiler_bad_120_i_foo, compiler, &["-I", "@foo"], false);
vector!(compiler_bad_121_i_foo, compiler, &["-I", "-foo"], false);
vector!(compiler_bad_122_i_obj, compiler, &["-I", "=@obj"], false);
vector!(
    compiler_bad_123_include_foo,
    compiler,
    &["-include", "@foo"],
    false
);
vector!(
    compiler_bad_124_framework_caffeine,
    compiler,
    &["-framework", "-Caffeine"],
    false
);
vector!(
    compiler_bad_125_framework_home,
    compiler,
    &["-framework", "@Home"],
    false
);
vector!(compiler_bad_126_x_c, compiler, &["-x", "--c"], false);
vector!(compiler_bad_127_x_obj, compiler, &["-x", "@obj"], false);
vector!(linker_good_000_fbar, linker, &["-Fbar"], true);
vector!(linker_good_001_lbar, linker, &["-lbar"], true);
vector!(linker_good_002_lbar, linker, &["-Lbar"], true);
vector!(linker_good_003_fpic, linker, &["-fpic"], true);
vector!(linker_good_004_fno_pic, linker, &["-fno-pic"], true);
vector!(linker_good_005_fpic, linker, &["-fPIC"], true);
vector!(linker_good_006_fno_pic, linker, &["-fno-PIC"], true);
vector!(linker_good_007_fpie, linker, &["-fpie"], true);
vector!(linker_good_008_fno_pie, linker, &["-fno-pie"], true);
vector!(linker_good_009_fpie, linker, &["-fPIE"], true);
vector!(linker_good_010_fno_pie, linker, &["-fno-PIE"], true);
vector!(
    linker_good_011_fsanitize_hands,
    linker,
    &["-fsanitize=hands"],
    true
);
vector!(linker_good_012_g, linker, &["-g"], true);
vector!(linker_good_013_ggdb, linker, &["-ggdb"], true);
vector!(linker_good_014_march_souza, linker, &["-march=souza"], true);
vector!(linker_good_015_mcpu_123, linker, &["-mcpu=123"], true);
vector!(linker_good_016_mfpu_123, linker, &["-mfpu=123"], true);
vector!(
    linker_good_017_mtune_happybirthday,
    linker,
    &["-mtune=happybirthday"],
    true
);
vector!(linker_good_018_pic, linker, &["-pic"], true);
vector!(linker_good_019_pthread, linker, &["-pthread"], true);
vector!(
    linker_good_020_wl_hash_style_both,
    linker,
    &["-Wl,--hash-style=both"],
    true
);
vector!(
    linker_good_021_wl_rpath_foo,
    linker,
    &["-Wl,-rpath,foo"],
    true
);
vector!(
    linker_good_022_wl_rpath_origin_foo,
    linker,
    &["-Wl,-rpath,$ORIGIN/foo"],
    true
);
vector!(linker_good_023_wl_r_foo, linker, &["-Wl,-R", "/foo"], true);
vector!(linker_good_024_wl_r_foo, linker, &["-Wl,-R", "foo"], true);
vector!(linker_good_025_wl_r_foo, linker, &["-Wl,-R,foo"], true);
vector!(
    linker_good_026_wl_just_symbols_foo,
    linker,
    &["-Wl,--just-symbols=foo"],
    true
);
vector!(
    linker_good_027_wl_just_symbols_foo,
    linker,
    &["-Wl,--just-symbols,foo"],
    true
);
vector!(
    linker_good_028_wl_warn_error,
    linker,
    &["-Wl,--warn-error"],
    true
);
vector!(
    linker_good_029_wl_no_warn_error,
    linker,
    &["-Wl,--no-warn-error"],
    true
);
vector!(linker_good_030_foo_so, linker, &["foo.so"], true);
vector!(linker_good_031_dll, linker, &["_世界.dll"], true);
vector!(linker_good_032_x_o, linker, &["./x.o"], true);
vector!(
    linker_good_033_libcgosotest_dylib,
    linker,
    &["libcgosotest.dylib"],
    true
);
vector!(
    linker_good_034_f_framework,
    linker,
    &["-F", "framework"],
    true
);
vector!(linker_good_035_l, linker, &["-l", "."], true);
vector!(
    linker_good_036_l_etc_passwd,
    linker,
    &["-l", "/etc/passwd"],
    true
);
vector!(linker_good_037_l, linker, &["-l", "世界"], true);
vector!(
    linker_good_038_l_framework,
    linker,
    &["-L", "framework"],
    true
);
vector!(
    linker_good_039_framework_chocolate,
    linker,
    &["-framework", "Chocolate"],
    true
);
vector!(linker_good_040_v, linker, &["-v"], true);
vector!(
    linker_good_041_wl_sectcreate_text_info_plist_srcdir_inf,
    linker,
    &["-Wl,-sectcreate,__TEXT,__info_plist,${SRCDIR}/Info.plist"],
    true
);
vector!(
    linker_good_042_wl_framework_wl_chocolate,
    linker,
    &["-Wl,-framework", "-Wl,Chocolate"],
    true
);
vector!(
    linker_good_043_wl_framework_chocolate,
    linker,
    &["-Wl,-framework,Chocolate"],
    true
);
vector!(
    linker_good_044_wl_unresolved_symbols_ignore_all,
    linker,
    &["-Wl,-unresolved-symbols=ignore-all"],
    true
);
vector!(linker_good_045_wl_z_relro, linker, &["-Wl,-z,relro"], true);
vector!(
    linker_good_046_wl_z_relro_z_now,
    linker,
    &["-Wl,-z,relro,-z,now"],
    true
);
vector!(linker_good_047_wl_z_now, linker, &["-Wl,-z,now"], true);
vector!(
    linker_good_048_wl_z_noexecstack,
    linker,
    &["-Wl,-z,noexecstack"],
    true
);
vector!(
    linker_good_049_libcgotbdtest_tbd,
    linker,
    &["libcgotbdtest.tbd"],
    true
);
vector!(
    linker_good_050_libcgotbdtest_tbd,
    linker,
    &["./libcgotbdtest.tbd"],
    true
);
vector!(
    linker_good_051_wl_push_state,
    linker,
    &["-Wl,--push-state"],
    true
);
vector!(
    linker_good_052_wl_pop_state,
    linker,
    &["-Wl,--pop-state"],
    true
);
vector!(
    linker_good_053_wl_push_state_as_needed,
    linker,
    &["-Wl,--push-state,--as-needed"],
    true
);
vector!(
    linker_good_054_wl_push_state_no_as_needed_bstatic,
    linker,
    &["-Wl,--push-state,--no-as-needed,-Bstatic"],
    true
);
vector!(
    linker_good_055_wl_just_symbols,
    linker,
    &["-Wl,--just-symbols,."],
    true
);
vector!(
    linker_good_056_wl_framework,
    linker,
    &["-Wl,-framework,."],
    true
);
vector!(linker_good_057_wl_rpath, linker, &["-Wl,-rpath,."], true);
vector!(
    linker_good_058_wl_rpath_link,
    linker,
    &["-Wl,-rpath-link,."],
    true
);
vector!(
    linker_good_059_wl_sectcreate,
    linker,
    &["-Wl,-sectcreate,.,.,."],
    true
);
vector!(
    linker_good_060_wl_syslibroot,
    linker,
    &["-Wl,-syslibroot,."],
    true
);
vector!(
    linker_good_061_wl_undefined,
    linker,
    &["-Wl,-undefined,."],
    true
);
vector!(linker_bad_062_dfoo, linker, &["-DFOO"], false);
vector!(linker_bad_063_dfoo_bar, linker, &["-Dfoo=bar"], false);
vector!(linker_bad_064_w, linker, &["-W"], false);
vector!(linker_bad_065_wall, linker, &["-Wall"], false);
vector!(linker_bad_066_fobjc_arc, linker, &["-fobjc-arc"], false);
vector!(
    linker_bad_067_fno_objc_arc,
    linker,
    &["-fno-objc-arc"],
    false
);
vector!(
    linker_bad_068_fomit_frame_pointer,
    linker,
    &["-fomit-frame-pointer"],
    false
);
vector!(
    linker_bad_069_fno_omit_frame_pointer,
    linker,
    &["-fno-omit-frame-pointer"],
    false
);
vector!(
    linker_bad_070_fsplit_stack,
    linker,
    &["-fsplit-stack"],
    false
);
vector!(
    linker_bad_071_fno_split_stack,
    linker,
    &["-fno-split-stack"],
    false
);
vector!(linker_bad_072_fstack_xxx, linker, &["-fstack-xxx"], false);
vector!(
    linker_bad_073_fno_stack_xxx,
    linker,
    &["-fno-stack-xxx"],
    false
);
vector!(
    linker_bad_074_mstack_overflow,
    linker,
    &["-mstack-overflow"],
    false
);
vector!(
    linker_bad_075_mno_stack_overflow,
    linker,
    &["-mno-stack-overflow"],
    false
);
vector!(
    linker_bad_076_mnop_fun_dllimport,
    linker,
    &["-mnop-fun-dllimport"],
    false
);
vector!(linker_bad_077_std_c99, linker, &["-std=c99"], false);
vector!(linker_bad_078_xc, linker, &["-xc"], false);
vector!(linker_bad_079_d_foo, linker, &["-D", "FOO"], false);
vector!(linker_bad_080_d_foo_bar, linker, &["-D", "foo=bar"], false);
vector!(linker_bad_081_i_foo, linker, &["-I", "FOO"], false);
vector!(linker_bad_082_l_foo, linker, &["-L", "@foo"], false);
vector!(linker_bad_083_l_foo, linker, &["-L", "-foo"], false);
vector!(linker_bad_084_x_c, linker, &["-x", "c"], false);
vector!(linker_bad_085_d_x, linker, &["-D@X"], false);
vector!(linker_bad_086_d_x, linker, &["-D-X"], false);
vector!(linker_bad_087_i_dir, linker, &["-I@dir"], false);
vector!(linker_bad_088_i_dir, linker, &["-I-dir"], false);
vector!(linker_bad_089_o_1, linker, &["-O@1"], false);
vector!(linker_bad_090_wa_foo, linker, &["-Wa,-foo"], false);
vector!(linker_bad_091_w_foo, linker, &["-W@foo"], false);
vector!(linker_bad_092_g_gdb, linker, &["-g@gdb"], false);
vector!(linker_bad_093_g_gdb, linker, &["-g-gdb"], false);
vector!(linker_bad_094_march_dawn, linker, &["-march=@dawn"], false);
vector!(linker_bad_095_march_dawn, linker, &["-march=-dawn"], false);
vector!(linker_bad_096_std_c99, linker, &["-std=@c99"], false);
vector!(linker_bad_097_std_c99, linker, &["-std=-c99"], false);
vector!(linker_bad_098_x_c, linker, &["-x@c"], false);
vector!(linker_bad_099_x_c, linker, &["-x-c"], false);
vector!(linker_bad_100_d_foo, linker, &["-D", "@foo"], false);
vector!(linker_bad_101_d_foo, linker, &["-D", "-foo"], false);
vector!(linker_bad_102_i_foo, linker, &["-I", "@foo"], false);
vector!(linker_bad_103_i_foo, linker, &["-I", "-foo"], false);
vector!(linker_bad_104_l_foo, linker, &["-l", "@foo"], false);
vector!(linker_bad_105_l_foo, linker, &["-l", "-foo"], false);
vector!(
    linker_bad_106_framework_caffeine,
    linker,
    &["-framework", "-Caffeine"],
    false
);
vector!(
    linker_bad_107_framework_home,
    linker,
    &["-framework", "@Home"],
    false
);
vector!(
    linker_bad_108_wl_framework_caffeine,
    linker,
    &["-Wl,-framework,-Caffeine"],
    false
);
vector!(
    linker_bad_109_wl_framework_wl_home,
    linker,
    &["-Wl,-framework", "-Wl,@Home"],
    false
);
vector!(
    linker_bad_110_wl_framework_home,
    linker,
    &["-Wl,-framework", "@Home"],
    false
);
vector!(
    linker_bad_111_wl_framework_chocolate_home,
    linker,
    &["-Wl,-framework,Chocolate,@Home"],
    false
);
vector!(
    linker_bad_112_wl_hash_style_foo,
    linker,
    &["-Wl,--hash-style=foo"],
    false
);
vector!(linker_bad_113_x_c, linker, &["-x", "--c"], false);
vector!(linker_bad_114_x_obj, linker, &["-x", "@obj"], false);
vector!(
    linker_bad_115_wl_rpath_foo,
    linker,
    &["-Wl,-rpath,@foo"],
    false
);
vector!(
    linker_bad_116_wl_r_foo_bar,
    linker,
    &["-Wl,-R,foo,bar"],
    false
);
vector!(linker_bad_117_wl_r_foo, linker, &["-Wl,-R,@foo"], false);
vector!(
    linker_bad_118_wl_just_symbols_foo,
    linker,
    &["-Wl,--just-symbols,@foo"],
    false
);
vector!(linker_bad_119_x_o, linker, &["../x.o"], false);
vector!(linker_bad_120_wl_r, linker, &["-Wl,-R,"], false);
vector!(linker_bad_121_wl_o, linker, &["-Wl,-O"], false);
vector!(linker_bad_122_wl_e, linker, &["-Wl,-e="], false);
vector!(linker_bad_123_wl_e, linker, &["-Wl,-e,"], false);
vector!(linker_bad_124_wl_r_flag, linker, &["-Wl,-R,-flag"], false);
vector!(
    linker_bad_125_wl_push_state,
    linker,
    &["-Wl,--push-state,"],
    false
);
vector!(
    linker_bad_126_wl_push_state_foo,
    linker,
    &["-Wl,--push-state,@foo"],
    false
);
vector!(
    linker_bad_127_fplugin_wl_push_state_r_so,
    linker,
    &["-fplugin=./-Wl,--push-state,-R.so"],
    false
);
vector!(
    linker_bad_128_wl_push_state_r_c,
    linker,
    &["./-Wl,--push-state,-R.c"],
    false
);
vector!(internal_link_bad_000_d_x, internal_link, &["-D@X"], false);
vector!(internal_link_bad_001_d_x, internal_link, &["-D-X"], false);
vector!(
    internal_link_bad_002_ufoo_bar,
    internal_link,
    &["-Ufoo=bar"],
    false
);
vector!(
    internal_link_bad_003_f_dir,
    internal_link,
    &["-F@dir"],
    false
);
vector!(
    internal_link_bad_004_f_dir,
    internal_link,
    &["-F-dir"],
    false
);
vector!(
    internal_link_bad_005_i_dir,
    internal_link,
    &["-I@dir"],
    false
);
vector!(
    internal_link_bad_006_i_dir,
    internal_link,
    &["-I-dir"],
    false
);
vector!(internal_link_bad_007_o_1, internal_link, &["-O@1"], false);
vector!(
    internal_link_bad_008_wa_foo,
    internal_link,
    &["-Wa,-foo"],
    false
);
vector!(
    internal_link_bad_009_w_foo,
    internal_link,
    &["-W@foo"],
    false
);
vector!(
    internal_link_bad_010_wp_dx_d_x,
    internal_link,
    &["-Wp,-DX,-D@X"],
    false
);
vector!(
    internal_link_bad_011_wp_ux_u_x,
    internal_link,
    &["-Wp,-UX,-U@X"],
    false
);
vector!(
    internal_link_bad_012_g_gdb,
    internal_link,
    &["-g@gdb"],
    false
);
vector!(
    internal_link_bad_013_g_gdb,
    internal_link,
    &["-g-gdb"],
    false
);
vector!(
    internal_link_bad_014_march_dawn,
    internal_link,
    &["-march=@dawn"],
    false
);
vector!(
    internal_link_bad_015_march_dawn,
    internal_link,
    &["-march=-dawn"],
    false
);
vector!(
    internal_link_bad_016_mcmodel_model,
    internal_link,
    &["-mcmodel=@model"],
    false
);
vector!(
    internal_link_bad_017_mfpu_0,
    internal_link,
    &["-mfpu=@0"],
    false
);
vector!(
    internal_link_bad_018_mfpu_0,
    internal_link,
    &["-mfpu=-0"],
    false
);
vector!(
    internal_link_bad_019_mlarge_data_threshold_12,
    internal_link,
    &["-mlarge-data-threshold=@12"],
    false
);
vector!(
    internal_link_bad_020_mtls_dialect_gnu,
    internal_link,
    &["-mtls-dialect=@gnu"],
    false
);
vector!(
    internal_link_bad_021_mtls_dialect_gnu,
    internal_link,
    &["-mtls-dialect=-gnu"],
    false
);
vector!(
    internal_link_bad_022_msimd_none,
    internal_link,
    &["-msimd=@none"],
    false
);
vector!(
    internal_link_bad_023_msimd_none,
    internal_link,
    &["-msimd=-none"],
    false
);
vector!(
    internal_link_bad_024_std_c99,
    internal_link,
    &["-std=@c99"],
    false
);
vector!(
    internal_link_bad_025_std_c99,
    internal_link,
    &["-std=-c99"],
    false
);
vector!(internal_link_bad_026_x_c, internal_link, &["-x@c"], false);
vector!(internal_link_bad_027_x_c, internal_link, &["-x-c"], false);
vector!(
    internal_link_bad_028_d_foo,
    internal_link,
    &["-D", "@foo"],
    false
);
vector!(
    internal_link_bad_029_d_foo,
    internal_link,
    &["-D", "-foo"],
    false
);
vector!(
    internal_link_bad_030_i_foo,
    internal_link,
    &["-I", "@foo"],
    false
);
vector!(
    internal_link_bad_031_i_foo,
    internal_link,
    &["-I", "-foo"],
    false
);
vector!(
    internal_link_bad_032_i_obj,
    internal_link,
    &["-I", "=@obj"],
    false
);
vector!(
    internal_link_bad_033_include_foo,
    internal_link,
    &["-include", "@foo"],
    false
);
vector!(
    internal_link_bad_034_framework_caffeine,
    internal_link,
    &["-framework", "-Caffeine"],
    false
);
vector!(
    internal_link_bad_035_framework_home,
    internal_link,
    &["-framework", "@Home"],
    false
);
vector!(
    internal_link_bad_036_x_c,
    internal_link,
    &["-x", "--c"],
    false
);
vector!(
    internal_link_bad_037_x_obj,
    internal_link,
    &["-x", "@obj"],
    false
);
vector!(internal_link_good_038_dfoo, internal_link, &["-DFOO"], true);
vector!(
    internal_link_good_039_dfoo_bar,
    internal_link,
    &["-Dfoo=bar"],
    true
);
vector!(internal_link_good_040_ufoo, internal_link, &["-Ufoo"], true);
vector!(
    internal_link_good_041_ufoo1,
    internal_link,
    &["-Ufoo1"],
    true
);
vector!(internal_link_good_042_f_qt, internal_link, &["-F/Qt"], true);
vector!(
    internal_link_good_043_f_qt,
    internal_link,
    &["-F", "/Qt"],
    true
);
vector!(internal_link_good_044_i, internal_link, &["-I/"], true);
vector!(
    internal_link_good_045_i_etc_passwd,
    internal_link,
    &["-I/etc/passwd"],
    true
);
vector!(internal_link_good_046_i, internal_link, &["-I."], true);
vector!(internal_link_good_047_o, internal_link, &["-O"], true);
vector!(internal_link_good_048_o2, internal_link, &["-O2"], true);
vector!(
    internal_link_good_049_osmall,
    internal_link,
    &["-Osmall"],
    true
);
vector!(internal_link_good_050_w, internal_link, &["-W"], true);
vector!(internal_link_good_051_wall, internal_link, &["-Wall"], true);
vector!(
    internal_link_good_052_wp_dfoo_bar,
    internal_link,
    &["-Wp,-Dfoo=bar"],
    true
);
vector!(
    internal_link_good_053_wp_ufoo,
    internal_link,
    &["-Wp,-Ufoo"],
    true
);
vector!(
    internal_link_good_054_wp_dfoo1,
    internal_link,
    &["-Wp,-Dfoo1"],
    true
);
vector!(
    internal_link_good_055_wp_ufoo1,
    internal_link,
    &["-Wp,-Ufoo1"],
    true
);
vector!(internal_link_bad_056_flto, internal_link, &["-flto"], false);
vector!(
    internal_link_good_057_fobjc_arc,
    internal_link,
    &["-fobjc-arc"],
    true
);
vector!(
    internal_link_good_058_fno_objc_arc,
    internal_link,
    &["-fno-objc-arc"],
    true
);
vector!(
    internal_link_good_059_fomit_frame_pointer,
    internal_link,
    &["-fomit-frame-pointer"],
    true
);
vector!(
    internal_link_good_060_fno_omit_frame_pointer,
    internal_link,
    &["-fno-omit-frame-pointer"],
    true
);
vector!(internal_link_good_061_fpic, internal_link, &["-fpic"], true);
vector!(
    internal_link_good_062_fno_pic,
    internal_link,
    &["-fno-pic"],
    true
);
vector!(internal_link_good_063_fpic, internal_link, &["-fPIC"], true);
vector!(
    internal_link_good_064_fno_pic,
    internal_link,
    &["-fno-PIC"],
    true
);
vector!(internal_link_good_065_fpie, internal_link, &["-fpie"], true);
vector!(
    internal_link_good_066_fno_pie,
    internal_link,
    &["-fno-pie"],
    true
);
vector!(internal_link_good_067_fpie, internal_link, &["-fPIE"], true);
vector!(
    internal_link_good_068_fno_pie,
    internal_link,
    &["-fno-PIE"],
    true
);
vector!(
    internal_link_good_069_fsplit_stack,
    internal_link,
    &["-fsplit-stack"],
    true
);
vector!(
    internal_link_good_070_fno_split_stack,
    internal_link,
    &["-fno-split-stack"],
    true
);
vector!(
    internal_link_good_071_fstack_xxx,
    internal_link,
    &["-fstack-xxx"],
    true
);
vector!(
    internal_link_good_072_fno_stack_xxx,
    internal_link,
    &["-fno-stack-xxx"],
    true
);
vector!(
    internal_link_good_073_fsanitize_hands,
    internal_link,
    &["-fsanitize=hands"],
    true
);
vector!(
    internal_link_good_074_ftls_model_local_dynamic,
    internal_link,
    &["-ftls-model=local-dynamic"],
    true
);
vector!(internal_link_good_075_g, internal_link, &["-g"], true);
vector!(internal_link_good_076_ggdb, internal_link, &["-ggdb"], true);
vector!(
    internal_link_good_077_mabi_lp64d,
    internal_link,
    &["-mabi=lp64d"],
    true
);
vector!(
    internal_link_good_078_march_souza,
    internal_link,
    &["-march=souza"],
    true
);
vector!(
    internal_link_good_079_mcmodel_medium,
    internal_link,
    &["-mcmodel=medium"],
    true
);
vector!(
    internal_link_good_080_mcpu_123,
    internal_link,
    &["-mcpu=123"],
    true
);
vector!(
    internal_link_good_081_mfpu_123,
    internal_link,
    &["-mfpu=123"],
    true
);
vector!(
    internal_link_good_082_mtls_dialect_gnu,
    internal_link,
    &["-mtls-dialect=gnu"],
    true
);
vector!(
    internal_link_good_083_mtls_dialect_gnu2,
    internal_link,
    &["-mtls-dialect=gnu2"],
    true
);
vector!(
    internal_link_good_084_mtls_dialect_trad,
    internal_link,
    &["-mtls-dialect=trad"],
    true
);
vector!(
    internal_link_good_085_mtls_dialect_desc,
    internal_link,
    &["-mtls-dialect=desc"],
    true
);
vector!(
    internal_link_good_086_mtls_dialect_xyz,
    internal_link,
    &["-mtls-dialect=xyz"],
    true
);
vector!(
    internal_link_good_087_msimd_lasx,
    internal_link,
    &["-msimd=lasx"],
    true
);
vector!(
    internal_link_good_088_msimd_xyz,
    internal_link,
    &["-msimd=xyz"],
    true
);
vector!(
    internal_link_good_089_mdouble_float,
    internal_link,
    &["-mdouble-float"],
    true
);
vector!(
    internal_link_good_090_mrelax,
    internal_link,
    &["-mrelax"],
    true
);
vector!(
    internal_link_good_091_mstrict_align,
    internal_link,
    &["-mstrict-align"],
    true
);
vector!(internal_link_good_092_mlsx, internal_link, &["-mlsx"], true);
vector!(
    internal_link_good_093_mlasx,
    internal_link,
    &["-mlasx"],
    true
);
vector!(
    internal_link_good_094_mfrecipe,
    internal_link,
    &["-mfrecipe"],
    true
);
vector!(
    internal_link_good_095_mlam_bh,
    internal_link,
    &["-mlam-bh"],
    true
);
vector!(
    internal_link_good_096_mlamcas,
    internal_link,
    &["-mlamcas"],
    true
);
vector!(
    internal_link_good_097_mld_seq_sa,
    internal_link,
    &["-mld-seq-sa"],
    true
);
vector!(
    internal_link_good_098_mno_relax,
    internal_link,
    &["-mno-relax"],
    true
);
vector!(
    internal_link_good_099_mno_strict_align,
    internal_link,
    &["-mno-strict-align"],
    true
);
vector!(
    internal_link_good_100_mno_lsx,
    internal_link,
    &["-mno-lsx"],
    true
);
vector!(
    internal_link_good_101_mno_lasx,
    internal_link,
    &["-mno-lasx"],
    true
);
vector!(
    internal_link_good_102_mno_frecipe,
    internal_link,
    &["-mno-frecipe"],
    true
);
vector!(
    internal_link_good_103_mno_lam_bh,
    internal_link,
    &["-mno-lam-bh"],
    true
);
vector!(
    internal_link_good_104_mno_lamcas,
    internal_link,
    &["-mno-lamcas"],
    true
);
vector!(
    internal_link_good_105_mno_ld_seq_sa,
    internal_link,
    &["-mno-ld-seq-sa"],
    true
);
vector!(
    internal_link_good_106_mlarge_data_threshold_16,
    internal_link,
    &["-mlarge-data-threshold=16"],
    true
);
vector!(
    internal_link_good_107_mtune_happybirthday,
    internal_link,
    &["-mtune=happybirthday"],
    true
);
vector!(
    internal_link_good_108_mstack_overflow,
    internal_link,
    &["-mstack-overflow"],
    true
);
vector!(
    internal_link_good_109_mno_stack_overflow,
    internal_link,
    &["-mno-stack-overflow"],
    true
);
vector!(
    internal_link_good_110_mmacosx_version,
    internal_link,
    &["-mmacosx-version"],
    true
);
vector!(
    internal_link_good_111_mnop_fun_dllimport,
    internal_link,
    &["-mnop-fun-dllimport"],
    true
);
vector!(
    internal_link_good_112_pthread,
    internal_link,
    &["-pthread"],
    true
);
vector!(
    internal_link_good_113_std_c99,
    internal_link,
    &["-std=c99"],
    true
);
vector!(internal_link_good_114_xc, internal_link, &["-xc"], true);
vector!(
    internal_link_good_115_d_foo,
    internal_link,
    &["-D", "FOO"],
    true
);
vector!(
    internal_link_good_116_d_foo_bar,
    internal_link,
    &["-D", "foo=bar"],
    true
);
vector!(internal_link_good_117_i, internal_link, &["-I", "."], true);
vector!(
    internal_link_good_118_i_etc_passwd,
    internal_link,
    &["-I", "/etc/passwd"],
    true
);
vector!(
    internal_link_good_119_i,
    internal_link,
    &["-I", "世界"],
    true
);
vector!(
    internal_link_good_120_i_usr_include_libxml2,
    internal_link,
    &["-I", "=/usr/include/libxml2"],
    true
);
vector!(
    internal_link_good_121_i_dir,
    internal_link,
    &["-I", "dir"],
    true
);
vector!(
    internal_link_good_122_i_sysroot_dir,
    internal_link,
    &["-I", "$SYSROOT/dir"],
    true
);
vector!(
    internal_link_good_123_isystem_usr_include_mozjs_68,
    internal_link,
    &["-isystem", "/usr/include/mozjs-68"],
    true
);
vector!(
    internal_link_good_124_include_usr_include_mozjs_68_requireddef,
    internal_link,
    &["-include", "/usr/include/mozjs-68/RequiredDefines.h"],
    true
);
vector!(
    internal_link_good_125_framework_chocolate,
    internal_link,
    &["-framework", "Chocolate"],
    true
);
vector!(
    internal_link_good_126_x_c,
    internal_link,
    &["-x", "c"],
    true
);
vector!(internal_link_good_127_v, internal_link, &["-v"], true);
vector!(
    allow_disallow_000_disallow,
    allow_disallow,
    "TEST",
    None,
    None,
    &["-disallow"],
    false
);
vector!(
    allow_disallow_001_disallow,
    allow_disallow,
    "TEST",
    Some("-disallo"),
    None,
    &["-disallow"],
    false
);
vector!(
    allow_disallow_002_disallow,
    allow_disallow,
    "TEST",
    Some("-disallow"),
    None,
    &["-disallow"],
    true
);
vector!(
    allow_disallow_003_wall,
    allow_disallow,
    "TEST",
    None,
    None,
    &["-Wall"],
    true
);
vector!(
    allow_disallow_004_wall,
    allow_disallow,
    "TEST",
    None,
    Some("-Wall"),
    &["-Wall"],
    false
);
vector!(
    allow_disallow_005_wall,
    allow_disallow,
    "TEST",
    Some("-Wall"),
    Some("-Wall"),
    &["-Wall"],
    false
);
vector!(
    allow_disallow_006_fplugin_faster_so,
    allow_disallow,
    "TEST",
    Some("-fplugin.*"),
    Some("-fplugin=lint.so"),
    &["-fplugin=faster.so"],
    true
);
vector!(
    allow_disallow_007_fplugin_lint_so,
    allow_disallow,
    "TEST",
    Some("-fplugin.*"),
    Some("-fplugin=lint.so"),
    &["-fplugin=lint.so"],
    false
);

/// The transcribed table, in file order, for the drift check.
const TABLE: &[(&str, &[&str], bool)] = &[
    ("compiler", &["-DFOO"], true),
    ("compiler", &["-Dfoo=bar"], true),
    ("compiler", &["-Ufoo"], true),
    ("compiler", &["-Ufoo1"], true),
    ("compiler", &["-F/Qt"], true),
    ("compiler", &["-F", "/Qt"], true),
    ("compiler", &["-I/"], true),
    ("compiler", &["-I/etc/passwd"], true),
    ("compiler", &["-I."], true),
    ("compiler", &["-O"], true),
    ("compiler", &["-O2"], true),
    ("compiler", &["-Osmall"], true),
    ("compiler", &["-W"], true),
    ("compiler", &["-Wall"], true),
    ("compiler", &["-Wp,-Dfoo=bar"], true),
    ("compiler", &["-Wp,-Ufoo"], true),
    ("compiler", &["-Wp,-Dfoo1"], true),
    ("compiler", &["-Wp,-Ufoo1"], true),
    ("compiler", &["-flto"], true),
    ("compiler", &["-fobjc-arc"], true),
    ("compiler", &["-fno-objc-arc"], true),
    ("compiler", &["-fomit-frame-pointer"], true),
    ("compiler", &["-fno-omit-frame-pointer"], true),
    ("compiler", &["-fpic"], true),
    ("compiler", &["-fno-pic"], true),
    ("compiler", &["-fPIC"], true),
    ("compiler", &["-fno-PIC"], true),
    ("compiler", &["-fpie"], true),
    ("compiler", &["-fno-pie"], true),
    ("compiler", &["-fPIE"], true),
    ("compiler", &["-fno-PIE"], true),
    ("compiler", &["-fsplit-stack"], true),
    ("compiler", &["-fno-split-stack"], true),
    ("compiler", &["-fstack-xxx"], true),
    ("compiler", &["-fno-stack-xxx"], true),
    ("compiler", &["-fsanitize=hands"], true),
    ("compiler", &["-ftls-model=local-dynamic"], true),
    ("compiler", &["-g"], true),
    ("compiler", &["-ggdb"], true),
    ("compiler", &["-mabi=lp64d"], true),
    ("compiler", &["-march=souza"], true),
    ("compiler", &["-mcmodel=medium"], true),
    ("compiler", &["-mcpu=123"], true),
    ("compiler", &["-mfpu=123"], true),
    ("compiler", &["-mtls-dialect=gnu"], true),
    ("compiler", &["-mtls-dialect=gnu2"], true),
    ("compiler", &["-mtls-dialect=trad"], true),
    ("compiler", &["-mtls-dialect=desc"], true),
    ("compiler", &["-mtls-dialect=xyz"], true),
    ("compiler", &["-msimd=lasx"], true),
    ("compiler", &["-msimd=xyz"], true),
    ("compiler", &["-mdouble-float"], true),
    ("compiler", &["-mrelax"], true),
    ("compiler", &["-mstrict-align"], true),
    ("compiler", &["-mlsx"], true),
    ("compiler", &["-mlasx"], true),
    ("compiler", &["-mfrecipe"], true),
    ("compiler", &["-mlam-bh"], true),
    ("compiler", &["-mlamcas"], true),
    ("compiler", &["-mld-seq-sa"], true),
    ("compiler", &["-mno-relax"], true),
    ("compiler", &["-mno-strict-align"], true),
    ("compiler", &["-mno-lsx"], true),
    ("compiler", &["-mno-lasx"], true),
    ("compiler", &["-mno-frecipe"], true),
    ("compiler", &["-mno-lam-bh"], true),
    ("compiler", &["-mno-lamcas"], true),
    ("compiler", &["-mno-ld-seq-sa"], true),
    ("compiler", &["-mlarge-data-threshold=16"], true),
    ("compiler", &["-mtune=happybirthday"], true),
    ("compiler", &["-mstack-overflow"], true),
    ("compiler", &["-mno-stack-overflow"], true),
    ("compiler", &["-mmacosx-version"], true),
    ("compiler", &["-mnop-fun-dllimport"], true),
    ("compiler", &["-pthread"], true),
    ("compiler", &["-std=c99"], true),
    ("compiler", &["-xc"], true),
    ("compiler", &["-D", "FOO"], true),
    ("compiler", &["-D", "foo=bar"], true),
    ("compiler", &["-I", "."], true),
    ("compiler", &["-I", "/etc/passwd"], true),
    ("compiler", &["-I", "世界"], true),
    ("compiler", &["-I", "=/usr/include/libxml2"], true),
    ("compiler", &["-I", "dir"], true),
    ("compiler", &["-I", "$SYSROOT/dir"], true),
    ("compiler", &["-isystem", "/usr/include/mozjs-68"], true),
    (
        "compiler",
        &["-include", "/usr/include/mozjs-68/RequiredDefines.h"],
        true,
    ),
    ("compiler", &["-framework", "Chocolate"], true),
    ("compiler", &["-x", "c"], true),
    ("compiler", &["-v"], true),
    ("compiler", &["-D@X"], false),
    ("compiler", &["-D-X"], false),
    ("compiler", &["-Ufoo=bar"], false),
    ("compiler", &["-F@dir"], false),
    ("compiler", &["-F-dir"], false),
    ("compiler", &["-I@dir"], false),
    ("compiler", &["-I-dir"], false),
    ("compiler", &["-O@1"], false),
    ("compiler", &["-Wa,-foo"], false),
    ("compiler", &["-W@foo"], false),
    ("compiler", &["-Wp,-DX,-D@X"], false),
    ("compiler", &["-Wp,-UX,-U@X"], false),
    ("compiler", &["-g@gdb"], false),
    ("compiler", &["-g-gdb"], false),
    ("compiler", &["-march=@dawn"], false),
    ("compiler", &["-march=-dawn"], false),
    ("compiler", &["-mcmodel=@model"], false),
    ("compiler", &["-mfpu=@0"], false),
    ("compiler", &["-mfpu=-0"], false),
    ("compiler", &["-mlarge-data-threshold=@12"], false),
    ("compiler", &["-mtls-dialect=@gnu"], false),
    ("compiler", &["-mtls-dialect=-gnu"], false),
    ("compiler", &["-msimd=@none"], false),
    ("compiler", &["-msimd=-none"], false),
    ("compiler", &["-std=@c99"], false),
    ("compiler", &["-std=-c99"], false),
    ("compiler", &["-x@c"], false),
    ("compiler", &["-x-c"], false),
    ("compiler", &["-D", "@foo"], false),
    ("compiler", &["-D", "-foo"], false),
    ("compiler", &["-I", "@foo"], false),
    ("compiler", &["-I", "-foo"], false),
    ("compiler", &["-I", "=@obj"], false),
    ("compiler", &["-include", "@foo"], false),
    ("compiler", &["-framework", "-Caffeine"], false),
    ("compiler", &["-framework", "@Home"], false),
    ("compiler", &["-x", "--c"], false),
    ("compiler", &["-x", "@obj"], false),
    ("linker", &["-Fbar"], true),
    ("linker", &["-lbar"], true),
    ("linker", &["-Lbar"], true),
    ("linker", &["-fpic"], true),
    ("linker", &["-fno-pic"], true),
    ("linker", &["-fPIC"], true),
    ("linker", &["-fno-PIC"], true),
    ("linker", &["-fpie"], true),
    ("linker", &["-fno-pie"], true),
    ("linker", &["-fPIE"], true),
    ("linker", &["-fno-PIE"], true),
    ("linker", &["-fsanitize=hands"], true),
    ("linker", &["-g"], true),
    ("linker", &["-ggdb"], true),
    ("linker", &["-march=souza"], true),
    ("linker", &["-mcpu=123"], true),
    ("linker", &["-mfpu=123"], true),
    ("linker", &["-mtune=happybirthday"], true),
    ("linker", &["-pic"], true),
    ("linker", &["-pthread"], true),
    ("linker", &["-Wl,--hash-style=both"], true),
    ("linker", &["-Wl,-rpath,foo"], true),
    ("linker", &["-Wl,-rpath,$ORIGIN/foo"], true),
    ("linker", &["-Wl,-R", "/foo"], true),
    ("linker", &["-Wl,-R", "foo"], true),
    ("linker", &["-Wl,-R,foo"], true),
    ("linker", &["-Wl,--just-symbols=foo"], true),
    ("linker", &["-Wl,--just-symbols,foo"], true),
    ("linker", &["-Wl,--warn-error"], true),
    ("linker", &["-Wl,--no-warn-error"], true),
    ("linker", &["foo.so"], true),
    ("linker", &["_世界.dll"], true),
    ("linker", &["./x.o"], true),
    ("linker", &["libcgosotest.dylib"], true),
    ("linker", &["-F", "framework"], true),
    ("linker", &["-l", "."], true),
    ("linker", &["-l", "/etc/passwd"], true),
    ("linker", &["-l", "世界"], true),
    ("linker", &["-L", "framework"], true),
    ("linker", &["-framework", "Chocolate"], true),
    ("linker", &["-v"], true),
    (
        "linker",
        &["-Wl,-sectcreate,__TEXT,__info_plist,${SRCDIR}/Info.plist"],
        true,
    ),
    ("linker", &["-Wl,-framework", "-Wl,Chocolate"], true),
    ("linker", &["-Wl,-framework,Chocolate"], true),
    ("linker", &["-Wl,-unresolved-symbols=ignore-all"], true),
    ("linker", &["-Wl,-z,relro"], true),
    ("linker", &["-Wl,-z,relro,-z,now"], true),
    ("linker", &["-Wl,-z,now"], true),
    ("linker", &["-Wl,-z,noexecstack"], true),
    ("linker", &["libcgotbdtest.tbd"], true),
    ("linker", &["./libcgotbdtest.tbd"], true),
    ("linker", &["-Wl,--push-state"], true),
    ("linker", &["-Wl,--pop-state"], true),
    ("linker", &["-Wl,--push-state,--as-needed"], true),
    (
        "linker",
        &["-Wl,--push-state,--no-as-needed,-Bstatic"],
        true,
    ),
    ("linker", &["-Wl,--just-symbols,."], true),
    ("linker", &["-Wl,-framework,."], true),
    ("linker", &["-Wl,-rpath,."], true),
    ("linker", &["-Wl,-rpath-link,."], true),
    ("linker", &["-Wl,-sectcreate,.,.,."], true),
    ("linker", &["-Wl,-syslibroot,."], true),
    ("linker", &["-Wl,-undefined,."], true),
    ("linker", &["-DFOO"], false),
    ("linker", &["-Dfoo=bar"], false),
    ("linker", &["-W"], false),
    ("linker", &["-Wall"], false),
    ("linker", &["-fobjc-arc"], false),
    ("linker", &["-fno-objc-arc"], false),
    ("linker", &["-fomit-frame-pointer"], false),
    ("linker", &["-fno-omit-frame-pointer"], false),
    ("linker", &["-fsplit-stack"], false),
    ("linker", &["-fno-split-stack"], false),
    ("linker", &["-fstack-xxx"], false),
    ("linker", &["-fno-stack-xxx"], false),
    ("linker", &["-mstack-overflow"], false),
    ("linker", &["-mno-stack-overflow"], false),
    ("linker", &["-mnop-fun-dllimport"], false),
    ("linker", &["-std=c99"], false),
    ("linker", &["-xc"], false),
    ("linker", &["-D", "FOO"], false),
    ("linker", &["-D", "foo=bar"], false),
    ("linker", &["-I", "FOO"], false),
    ("linker", &["-L", "@foo"], false),
    ("linker", &["-L", "-foo"], false),
    ("linker", &["-x", "c"], false),
    ("linker", &["-D@X"], false),
    ("linker", &["-D-X"], false),
    ("linker", &["-I@dir"], false),
    ("linker", &["-I-dir"], false),
    ("linker", &["-O@1"], false),
    ("linker", &["-Wa,-foo"], false),
    ("linker", &["-W@foo"], false),
    ("linker", &["-g@gdb"], false),
    ("linker", &["-g-gdb"], false),
    ("linker", &["-march=@dawn"], false),
    ("linker", &["-march=-dawn"], false),
    ("linker", &["-std=@c99"], false),
    ("linker", &["-std=-c99"], false),
    ("linker", &["-x@c"], false),
    ("linker", &["-x-c"], false),
    ("linker", &["-D", "@foo"], false),
    ("linker", &["-D", "-foo"], false),
    ("linker", &["-I", "@foo"], false),
    ("linker", &["-I", "-foo"], false),
    ("linker", &["-l", "@foo"], false),
    ("linker", &["-l", "-foo"], false),
    ("linker", &["-framework", "-Caffeine"], false),
    ("linker", &["-framework", "@Home"], false),
    ("linker", &["-Wl,-framework,-Caffeine"], false),
    ("linker", &["-Wl,-framework", "-Wl,@Home"], false),
    ("linker", &["-Wl,-framework", "@Home"], false),
    ("linker", &["-Wl,-framework,Chocolate,@Home"], false),
    ("linker", &["-Wl,--hash-style=foo"], false),
    ("linker", &["-x", "--c"], false),
    ("linker", &["-x", "@obj"], false),
    ("linker", &["-Wl,-rpath,@foo"], false),
    ("linker", &["-Wl,-R,foo,bar"], false),
    ("linker", &["-Wl,-R,@foo"], false),
    ("linker", &["-Wl,--just-symbols,@foo"], false),
    ("linker", &["../x.o"], false),
    ("linker", &["-Wl,-R,"], false),
    ("linker", &["-Wl,-O"], false),
    ("linker", &["-Wl,-e="], false),
    ("linker", &["-Wl,-e,"], false),
    ("linker", &["-Wl,-R,-flag"], false),
    ("linker", &["-Wl,--push-state,"], false),
    ("linker", &["-Wl,--push-state,@foo"], false),
    ("linker", &["-fplugin=./-Wl,--push-state,-R.so"], false),
    ("linker", &["./-Wl,--push-state,-R.c"], false),
    ("internal_link", &["-D@X"], false),
    ("internal_link", &["-D-X"], false),
    ("internal_link", &["-Ufoo=bar"], false),
    ("internal_link", &["-F@dir"], false),
    ("internal_link", &["-F-dir"], false),
    ("internal_link", &["-I@dir"], false),
    ("internal_link", &["-I-dir"], false),
    ("internal_link", &["-O@1"], false),
    ("internal_link", &["-Wa,-foo"], false),
    ("internal_link", &["-W@foo"], false),
    ("internal_link", &["-Wp,-DX,-D@X"], false),
    ("internal_link", &["-Wp,-UX,-U@X"], false),
    ("internal_link", &["-g@gdb"], false),
    ("internal_link", &["-g-gdb"], false),
    ("internal_link", &["-march=@dawn"], false),
    ("internal_link", &["-march=-dawn"], false),
    ("internal_link", &["-mcmodel=@model"], false),
    ("internal_link", &["-mfpu=@0"], false),
    ("internal_link", &["-mfpu=-0"], false),
    ("internal_link", &["-mlarge-data-threshold=@12"], false),
    ("internal_link", &["-mtls-dialect=@gnu"], false),
    ("internal_link", &["-mtls-dialect=-gnu"], false),
    ("internal_link", &["-msimd=@none"], false),
    ("internal_link", &["-msimd=-none"], false),
    ("internal_link", &["-std=@c99"], false),
    ("internal_link", &["-std=-c99"], false),
    ("internal_link", &["-x@c"], false),
    ("internal_link", &["-x-c"], false),
    ("internal_link", &["-D", "@foo"], false),
    ("internal_link", &["-D", "-foo"], false),
    ("internal_link", &["-I", "@foo"], false),
    ("internal_link", &["-I", "-foo"], false),
    ("internal_link", &["-I", "=@obj"], false),
    ("internal_link", &["-include", "@foo"], false),
    ("internal_link", &["-framework", "-Caffeine"], false),
    ("internal_link", &["-framework", "@Home"], false),
    ("internal_link", &["-x", "--c"], false),
    ("internal_link", &["-x", "@obj"], false),
    ("internal_link", &["-DFOO"], true),
    ("internal_link", &["-Dfoo=bar"], true),
    ("internal_link", &["-Ufoo"], true),
    ("internal_link", &["-Ufoo1"], true),
    ("internal_link", &["-F/Qt"], true),
    ("internal_link", &["-F", "/Qt"], true),
    ("internal_link", &["-I/"], true),
    ("internal_link", &["-I/etc/passwd"], true),
    ("internal_link", &["-I."], true),
    ("internal_link", &["-O"], true),
    ("internal_link", &["-O2"], true),
    ("internal_link", &["-Osmall"], true),
    ("internal_link", &["-W"], true),
    ("internal_link", &["-Wall"], true),
    ("internal_link", &["-Wp,-Dfoo=bar"], true),
    ("internal_link", &["-Wp,-Ufoo"], true),
    ("internal_link", &["-Wp,-Dfoo1"], true),
    ("internal_link", &["-Wp,-Ufoo1"], true),
    ("internal_link", &["-flto"], false),
    ("internal_link", &["-fobjc-arc"], true),
    ("internal_link", &["-fno-objc-arc"], true),
    ("internal_link", &["-fomit-frame-pointer"], true),
    ("internal_link", &["-fno-omit-frame-pointer"], true),
    ("internal_link", &["-fpic"], true),
    ("internal_link", &["-fno-pic"], true),
    ("internal_link", &["-fPIC"], true),
    ("internal_link", &["-fno-PIC"], true),
    ("internal_link", &["-fpie"], true),
    ("internal_link", &["-fno-pie"], true),
    ("internal_link", &["-fPIE"], true),
    ("internal_link", &["-fno-PIE"], true),
    ("internal_link", &["-fsplit-stack"], true),
    ("internal_link", &["-fno-split-stack"], true),
    ("internal_link", &["-fstack-xxx"], true),
    ("internal_link", &["-fno-stack-xxx"], true),
    ("internal_link", &["-fsanitize=hands"], true),
    ("internal_link", &["-ftls-model=local-dynamic"], true),
    ("internal_link", &["-g"], true),
    ("internal_link", &["-ggdb"], true),
    ("internal_link", &["-mabi=lp64d"], true),
    ("internal_link", &["-march=souza"], true),
    ("internal_link", &["-mcmodel=medium"], true),
    ("internal_link", &["-mcpu=123"], true),
    ("internal_link", &["-mfpu=123"], true),
    ("internal_link", &["-mtls-dialect=gnu"], true),
    ("internal_link", &["-mtls-dialect=gnu2"], true),
    ("internal_link", &["-mtls-dialect=trad"], true),
    ("internal_link", &["-mtls-dialect=desc"], true),
    ("internal_link", &["-mtls-dialect=xyz"], true),
    ("internal_link", &["-msimd=lasx"], true),
    ("internal_link", &["-msimd=xyz"], true),
    ("internal_link", &["-mdouble-float"], true),
    ("internal_link", &["-mrelax"], true),
    ("internal_link", &["-mstrict-align"], true),
    ("internal_link", &["-mlsx"], true),
    ("internal_link", &["-mlasx"], true),
    ("internal_link", &["-mfrecipe"], true),
    ("internal_link", &["-mlam-bh"], true),
    ("internal_link", &["-mlamcas"], true),
    ("internal_link", &["-mld-seq-sa"], true),
    ("internal_link", &["-mno-relax"], true),
    ("internal_link", &["-mno-strict-align"], true),
    ("internal_link", &["-mno-lsx"], true),
    ("internal_link", &["-mno-lasx"], true),
    ("internal_link", &["-mno-frecipe"], true),
    ("internal_link", &["-mno-lam-bh"], true),
    ("internal_link", &["-mno-lamcas"], true),
    ("internal_link", &["-mno-ld-seq-sa"], true),
    ("internal_link", &["-mlarge-data-threshold=16"], true),
    ("internal_link", &["-mtune=happybirthday"], true),
    ("internal_link", &["-mstack-overflow"], true),
    ("internal_link", &["-mno-stack-overflow"], true),
    ("internal_link", &["-mmacosx-version"], true),
    ("internal_link", &["-mnop-fun-dllimport"], true),
    ("internal_link", &["-pthread"], true),
    ("internal_link", &["-std=c99"], true),
    ("internal_link", &["-xc"], true),
    ("internal_link", &["-D", "FOO"], true),
    ("internal_link", &["-D", "foo=bar"], true),
    ("internal_link", &["-I", "."], true),
    ("internal_link", &["-I", "/etc/passwd"], true),
    ("internal_link", &["-I", "世界"], true),
    ("internal_link", &["-I", "=/usr/include/libxml2"], true),
    ("internal_link", &["-I", "dir"], true),
    ("internal_link", &["-I", "$SYSROOT/dir"], true),
    (
        "internal_link",
        &["-isystem", "/usr/include/mozjs-68"],
        true,
    ),
    (
        "internal_link",
        &["-include", "/usr/include/mozjs-68/RequiredDefines.h"],
        true,
    ),
    ("internal_link", &["-framework", "Chocolate"], true),
    ("internal_link", &["-x", "c"], true),
    ("internal_link", &["-v"], true),
    ("allow_disallow", &["-disallow"], false),
    ("allow_disallow", &["-disallow"], false),
    ("allow_disallow", &["-disallow"], true),
    ("allow_disallow", &["-Wall"], true),
    ("allow_disallow", &["-Wall"], false),
    ("allow_disallow", &["-Wall"], false),
    ("allow_disallow", &["-fplugin=faster.so"], true),
    ("allow_disallow", &["-fplugin=lint.so"], false),
];

#[test]
fn table_matches_vector_file() {
    let file = common::toml::parse(common::FLAGS_TOML);
    let mut from_file = Vec::new();
    for section in ["compiler", "linker", "internal_link", "allow_disallow"] {
        for t in file.iter().filter(|t| t.section == section) {
            from_file.push((section.to_owned(), t.strings("args"), t.bool("ok")));
        }
    }
    let ours: Vec<_> = TABLE
        .iter()
        .map(|(s, a, ok)| {
            (
                s.to_string(),
                a.iter().map(|x| x.to_string()).collect::<Vec<_>>(),
                *ok,
            )
        })
        .collect();
    assert_eq!(ours, from_file);
}
