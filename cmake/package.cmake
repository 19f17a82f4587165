# The Debian package (CPack's DEB generator): `cpack -G DEB` in the build tree, or
# scripts/package.sh, which also runs lintian and checks the contents. Included from the
# top-level CMakeLists.txt; paths are relative to the source tree.
#
#   /usr/bin/nianbao                                  the binary (stripped)
#   /lib/systemd/system/nianbao.service               systemd/nianbao.service, ExecStart= at /usr/bin
#   /etc/nianbao/nianbao.toml, sources.toml           conffiles: the commented defaults, the example sources
#   /usr/share/man/man1/nianbao.1.gz                  man/nianbao.1
#   /usr/share/bash-completion/completions/nianbao    completion/nianbao
#   /usr/share/doc/nianbao/                           copyright (DEP-5), changelog.Debian.gz, NOTICE, docs
#
# The unit runs with DynamicUser=yes, StateDirectory= and ConfigurationDirectory=: no
# sysusers or tmpfiles snippet and no maintainer script are needed, and the package enables
# and starts nothing (the operator edits /etc/nianbao first).
set(NIANBAO_PKG_DIR ${PROJECT_BINARY_DIR}/packaging)

# The unit as installed: the same file with the binary at /usr/bin instead of /usr/local/bin.
file(READ ${PROJECT_SOURCE_DIR}/systemd/nianbao.service NIANBAO_UNIT)
string(REPLACE "ExecStart=/usr/local/bin/nianbao " "ExecStart=/usr/bin/nianbao " NIANBAO_UNIT
               "${NIANBAO_UNIT}")
if(NOT NIANBAO_UNIT MATCHES "\nExecStart=/usr/bin/nianbao ")
  message(FATAL_ERROR "package.cmake: systemd/nianbao.service has no ExecStart=/usr/local/bin/nianbao")
endif()
file(CONFIGURE OUTPUT ${NIANBAO_PKG_DIR}/nianbao.service CONTENT "${NIANBAO_UNIT}" @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/systemd/nianbao.service)

# Compressed as Debian wants them: gzip -9n (no name or time stamp, so the same bytes each time).
find_program(GZIP_EXECUTABLE gzip REQUIRED)
add_custom_command(
  OUTPUT ${NIANBAO_PKG_DIR}/nianbao.1.gz ${NIANBAO_PKG_DIR}/changelog.Debian.gz
  COMMAND ${GZIP_EXECUTABLE} -9nc ${PROJECT_SOURCE_DIR}/man/nianbao.1 > ${NIANBAO_PKG_DIR}/nianbao.1.gz
  COMMAND ${GZIP_EXECUTABLE} -9nc ${PROJECT_SOURCE_DIR}/packaging/changelog.Debian
          > ${NIANBAO_PKG_DIR}/changelog.Debian.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/man/nianbao.1 ${PROJECT_SOURCE_DIR}/packaging/changelog.Debian
  COMMENT "gzip the man page and the Debian changelog")
add_custom_target(nianbao_package_files ALL
  DEPENDS ${NIANBAO_PKG_DIR}/nianbao.1.gz ${NIANBAO_PKG_DIR}/changelog.Debian.gz)

install(FILES ${NIANBAO_PKG_DIR}/nianbao.service DESTINATION /lib/systemd/system
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/nianbao.toml DESTINATION /etc/nianbao
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${PROJECT_SOURCE_DIR}/examples/sources.example.toml DESTINATION /etc/nianbao
        RENAME sources.toml PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${NIANBAO_PKG_DIR}/nianbao.1.gz DESTINATION share/man/man1)
install(FILES ${PROJECT_SOURCE_DIR}/completion/nianbao
        DESTINATION share/bash-completion/completions)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright ${NIANBAO_PKG_DIR}/changelog.Debian.gz
              ${PROJECT_SOURCE_DIR}/NOTICE ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION share/doc/nianbao)
# The lintian tags that remain, each with its reason (scripts/package.sh prints the verdict).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/lintian-overrides DESTINATION share/lintian/overrides
        RENAME nianbao)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION share/doc/nianbao/docs
        FILES_MATCHING PATTERN "*.md" PATTERN "*.toml")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nianbao)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The nianbao Authors")
set(CPACK_PACKAGE_CONTACT "The nianbao Authors <maintainers@nianbao.example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "collects and checks government information-disclosure annual reports")
# Lines of the extended description stay under 80 characters (lintian).
set(CPACK_PACKAGE_DESCRIPTION
    "nianbao crawls Chinese government portals for their information-disclosure
annual reports, checks each against the arithmetic and consistency rules of
the official form, and publishes a record of every report with its findings
to Kafka, JSON Lines files or standard output. It runs as a hardened systemd
service.")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/nianbao/nianbao")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
