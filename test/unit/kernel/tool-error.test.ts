import test from 'ava';
import { isBusy, isNotExist } from '../../../daemon/kernel/tool-error.js';
import { capturedError } from './helpers.js';

test('isNotExist: ipset says the set does not exist', (t) => {
  t.true(isNotExist(capturedError('err-ipset-missing.txt', ['ipset', 'list', 'nosuchset'])));
});

test('isNotExist: ip says the device does not exist', (t) => {
  t.true(isNotExist(capturedError('err-ip-missing-dev.txt', ['ip', 'addr', 'show', 'dev', 'nosuchdev'])));
});

test('not "does not exist": a set in use, a failed ipvsadm -R, a plain Error', (t) => {
  t.false(isNotExist(capturedError('err-ipset-destroy-in-use.txt', ['ipset', 'destroy', 'LVSLAB-blacklist'])));
  t.false(isNotExist(capturedError('err-ipvsadm-R-bad-line.txt', ['ipvsadm', '-R'])));
  t.false(isNotExist(new Error('The set with the given name does not exist')));
  t.false(isBusy(capturedError('err-ipset-destroy-in-use.txt', ['ipset', 'destroy', 'LVSLAB-blacklist'])));
});

test('isNotExist: ipvsadm says "No such service"', (t) => {
  t.true(isNotExist(capturedError('err-ipvsadm-missing-service.txt', ['ipvsadm', '-D', '-t', '10.77.0.1:1'])));
});

// iptables-nft prints the same "is incompatible, use 'nft' tool" for a missing chain and for an existing
// chain holding nft-only rules, so it must not be read as "does not exist" (lvslab never needs to).
test('not "does not exist": iptables-nft calling a chain incompatible', (t) => {
  t.false(isNotExist(capturedError('err-iptables-missing-chain.txt', ['iptables', '-t', 'nat', '-L', 'NOSUCHCHAIN'])));
});
