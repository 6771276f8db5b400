#!/usr/bin/perl
# An SMSC on Debian's Net::SMPP (libnet-smpp-perl): an SMPP implementation independent of ours and
# of npm smpp, for the cross-check in test/channels/sms-perl.test.ts. Text is encoded and decoded
# here with Perl's own Encode (GSM 03.38 unpacked septets, UTF-16BE) and the UDH is built and read
# here, so a mistake shared by our encoder and our test helpers cannot hide.
#
# Driven by JSON lines on stdin, reports JSON lines on stdout (test/helpers/perl-smsc.ts):
#   in:  {"op":"mo","tag":T,"source":N,"text":S,"coding":"gsm"|"ucs2","parts":K,"ref":R,"order":[..]}
#        {"op":"receipt","tag":T,"id":ID,"stat":"DELIVRD","tlv":1}   {"op":"enquire","tag":T}
#        {"op":"unknown","tag":T}   (command id 0x00000099: expects generic_nack)
#   out: {"event":"listening","port":P}  {"event":"bind",...}  {"event":"submit",...}
#        {"event":"resp","tag":T,"cmd":C,"status":S,"seq":Q}  {"event":"closed"}
use strict;
use warnings;
use utf8;
use Net::SMPP;
use IO::Select;
use JSON::PP;
use Encode qw(encode decode);

$| = 1;
my $json = JSON::PP->new->utf8->canonical;
my ($system_id, $password) = @ARGV;
my $listen = Net::SMPP->new_listen('127.0.0.1', port => 0, async => 1, smpp_version => 0x34)
  or die "listen: $!";
sub say_json { print $json->encode($_[0]), "\n" }
say_json({ event => 'listening', port => $listen->sockport });

my $sel = IO::Select->new($listen, \*STDIN);
my ($cli, $next_id, %tag_of, $stdin_buf) = (undef, 1, (), '');

sub hexs { unpack 'H*', $_[0] }

# short_message → (text, udh) as an SMSC reads it: UDH when esm_class has UDHI (0x40).
sub read_text {
  my ($sm, $esm, $dc) = @_;
  my $udh;
  if ($esm & 0x40) {
    my $l = ord(substr($sm, 0, 1));
    my $ies = substr($sm, 1, $l);
    $sm = substr($sm, $l + 1);
    while (length $ies >= 2) {
      my ($iei, $iel) = unpack 'CC', $ies;
      my $v = substr($ies, 2, $iel);
      $udh = { ref => ord($v), total => ord(substr($v, 1)), seq => ord(substr($v, 2)) } if $iei == 0;
      $udh = { ref => unpack('n', $v), total => ord(substr($v, 2)), seq => ord(substr($v, 3)) } if $iei == 8;
      $ies = substr($ies, 2 + $iel);
    }
  }
  my $text = $dc == 8 ? decode('UTF-16BE', $sm) : $dc == 0 ? decode('gsm0338', $sm) : undef;
  return ($text, $udh);
}

sub on_pdu {
  my $pdu = shift;
  my $cmd = $pdu->{cmd};
  if ($cmd == 0x00000009 || $cmd == 0x00000002 || $cmd == 0x00000001) {
    my $ok = $pdu->{system_id} eq $system_id && $pdu->{password} eq $password;
    say_json({ event => 'bind', cmd => $cmd, system_id => $pdu->{system_id}, interface_version => $pdu->{interface_version}, ok => $ok ? 1 : 0 });
    my $m = $cmd == 9 ? 'bind_transceiver_resp' : $cmd == 2 ? 'bind_transmitter_resp' : 'bind_receiver_resp';
    $cli->$m(seq => $pdu->{seq}, status => $ok ? 0 : 0x0e, system_id => 'perlsmsc');
  } elsif ($cmd == 0x00000004) {
    my $id = 'P' . $next_id++;
    my ($text, $udh) = read_text($pdu->{short_message}, $pdu->{esm_class}, $pdu->{data_coding});
    say_json({ event => 'submit', id => $id, seq => $pdu->{seq}, source => $pdu->{source_addr}, dest => $pdu->{destination_addr},
      dest_ton => $pdu->{dest_addr_ton}, dest_npi => $pdu->{dest_addr_npi}, dc => $pdu->{data_coding}, esm => $pdu->{esm_class},
      rd => $pdu->{registered_delivery}, hex => hexs($pdu->{short_message}), text => $text, udh => $udh });
    $cli->submit_sm_resp(seq => $pdu->{seq}, message_id => $id);
  } elsif ($cmd == 0x00000015) {
    $cli->enquire_link_resp(seq => $pdu->{seq});
  } elsif ($cmd == 0x00000006) {
    $cli->unbind_resp(seq => $pdu->{seq});
  } elsif ($cmd & 0x80000000) {
    my $tag = delete $tag_of{$pdu->{seq}};
    say_json({ event => 'resp', tag => $tag, cmd => $cmd, status => $pdu->{status}, seq => $pdu->{seq}, message_id => $pdu->{message_id} });
  } else {
    $cli->generic_nack(seq => $pdu->{seq}, status => 0x03);
  }
}

sub run_op {
  my $c = shift;
  return say_json({ event => 'error', tag => $c->{tag}, message => 'no ESME bound' }) unless $cli;
  if ($c->{op} eq 'mo') {
    my $dc = $c->{coding} eq 'ucs2' ? 8 : 0;
    my $bytes = $dc == 8 ? encode('UTF-16BE', $c->{text}) : encode('gsm0338', $c->{text});
    my $k = $c->{parts} // 1;
    my @parts;
    if ($k == 1) { @parts = ($bytes) }
    else {
      # Cut at code-unit (UCS-2) or septet boundaries; the caller picks texts without escapes or surrogates.
      my $unit = $dc == 8 ? 2 : 1;
      my $per = int(length($bytes) / $unit / $k + 0.999) * $unit;
      for my $i (0 .. $k - 1) { push @parts, pack('CCCCCC', 5, 0, 3, $c->{ref}, $k, $i + 1) . substr($bytes, $i * $per, $per) }
    }
    my @order = $c->{order} ? map { $_ - 1 } @{ $c->{order} } : (0 .. $#parts);
    for my $i (@order) {
      my $seq = $cli->deliver_sm(source_addr_ton => 1, source_addr_npi => 1, source_addr => $c->{source},
        dest_addr_ton => 0, dest_addr_npi => 1, destination_addr => '95588', esm_class => $k > 1 ? 0x40 : 0,
        data_coding => $dc, short_message => $parts[$i]);
      $tag_of{$seq} = "$c->{tag}:" . ($i + 1);
    }
  } elsif ($c->{op} eq 'receipt') {
    my $text = "id:$c->{id} sub:001 dlvr:001 submit date:2612031200 done date:2612031201 stat:$c->{stat} err:" . ($c->{stat} eq 'DELIVRD' ? '000' : '001') . ' text:';
    my %states = (DELIVRD => 2, EXPIRED => 3, DELETED => 4, UNDELIV => 5, ACCEPTD => 6, UNKNOWN => 7, REJECTD => 8);
    my @tlv = $c->{tlv} ? (receipted_message_id => "$c->{id}\0", message_state => pack('C', $states{ $c->{stat} })) : ();
    my $seq = $cli->deliver_sm(source_addr => '8613800138000', destination_addr => '95588', esm_class => 0x04, data_coding => 0, short_message => $text, @tlv);
    $tag_of{$seq} = $c->{tag};
  } elsif ($c->{op} eq 'enquire') {
    $tag_of{ $cli->enquire_link() } = $c->{tag};
  } elsif ($c->{op} eq 'unknown') {
    my $seq = 7000 + $next_id++;
    $cli->syswrite(pack('NNNN', 16, 0x00000099, 0, $seq));
    $tag_of{$seq} = $c->{tag};
  }
}

while (1) {
  for my $fh ($sel->can_read) {
    if ($fh == $listen) {
      my $s = $listen->accept or next;
      $sel->remove($cli) if $cli;
      $cli = $s;
      $sel->add($cli);
      say_json({ event => 'connected' });
    } elsif ($fh == \*STDIN) {
      my $n = sysread(STDIN, $stdin_buf, 65536, length $stdin_buf);
      exit 0 unless $n;
      while ($stdin_buf =~ s/^(.*)\n//) { run_op($json->decode($1)) }
    } else {
      my $pdu = $cli->read_pdu;
      if (!$pdu) {
        $sel->remove($cli);
        $cli = undef;
        say_json({ event => 'closed' });
        next;
      }
      on_pdu($pdu);
    }
  }
}
