# root-test: the profile zjail's root test tier (tests/root) runs its probe
# under. It is base-service as shipped, plus a host name the tests can
# recognise, so that every assertion is about the profile services get.

[Jail]
Include=base-service
Description=zjail root tests: base-service with a known host name
Hostname=zjail-root-test
