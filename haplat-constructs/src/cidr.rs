//! IPv4 CIDR blocks for the regional VPCs: parsing, overlap, and the automatic allocation that
//! keeps every region's VPC disjoint from every other (so that regions can be peered or joined
//! by a transit gateway later).
//!
//! ```
//! use haplat_constructs::cidr::{Ipv4Cidr, allocate};
//!
//! let a: Ipv4Cidr = "10.0.0.0/16".parse().unwrap();
//! assert!(a.overlaps(&"10.0.128.0/17".parse().unwrap()));
//! assert!(!a.overlaps(&"10.1.0.0/16".parse().unwrap()));
//!
//! // The second region asks for 10.0.0.0/16; the others get the next free /16s.
//! let got = allocate(&[None, Some("10.0.0.0/16"), None]).unwrap();
//! let got: Vec<String> = got.iter().map(|c| c.to_string()).collect();
//! assert_eq!(got, ["10.1.0.0/16", "10.0.0.0/16", "10.2.0.0/16"]);
//! ```

use std::fmt;
use std::str::FromStr;

/// An IPv4 CIDR block whose address is the network address (`10.0.0.0/16`, not `10.0.0.1/16`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    addr: u32,
    prefix: u8,
}

/// The prefix lengths a VPC may have (AWS allows /16 to /28); haplat asks for at most /24 so
/// that every subnet keeps at least 16 addresses (ALBs need 8 free in each of theirs).
pub const VPC_PREFIXES: std::ops::RangeInclusive<u8> = 16..=24;

impl Ipv4Cidr {
    /// The network address as a number.
    pub fn addr(&self) -> u32 {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    fn mask(prefix: u8) -> u32 {
        if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix)) }
    }

    /// The last address of the block.
    pub fn last(&self) -> u32 {
        self.addr | !Self::mask(self.prefix)
    }

    /// Whether the two blocks share an address.
    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.addr <= other.last() && other.addr <= self.last()
    }

    /// Whether the block is in the private ranges of RFC 1918 (10/8, 172.16/12, 192.168/16).
    pub fn is_private(&self) -> bool {
        let within = |net: u32, prefix: u8| self.prefix >= prefix && (self.addr & Self::mask(prefix)) == net;
        within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16)
    }

    /// Checks that the block can be a haplat VPC: private, /16 to /24.
    pub fn check_vpc(&self) -> Result<(), String> {
        if !VPC_PREFIXES.contains(&self.prefix) {
            return Err(format!(
                "VPC CIDR {self} has prefix /{}; use /{} to /{}",
                self.prefix,
                VPC_PREFIXES.start(),
                VPC_PREFIXES.end()
            ));
        }
        if !self.is_private() {
            return Err(format!("VPC CIDR {self} is not a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)"));
        }
        Ok(())
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let shown = if s.chars().count() > 64 {
            format!("{:?}… ({} characters)", s.chars().take(64).collect::<String>(), s.chars().count())
        } else {
            format!("{s:?}")
        };
        let bad = |why: &str| format!("{shown} is not an IPv4 CIDR block like 10.0.0.0/16: {why}");
        let (ip, prefix) = s.split_once('/').ok_or_else(|| bad("no /prefix"))?;
        let prefix: u8 = prefix.parse().map_err(|_| bad("the prefix is not a number"))?;
        if prefix > 32 {
            return Err(bad("the prefix is over 32"));
        }
        let octets: Vec<&str> = ip.split('.').collect();
        if octets.len() != 4 {
            return Err(bad("it needs four octets"));
        }
        let mut addr = 0u32;
        for o in octets {
            if o.is_empty() || o.len() > 3 || !o.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad("an octet is not a number from 0 to 255"));
            }
            let n: u32 = o.parse().map_err(|_| bad("an octet is not a number"))?;
            if n > 255 {
                return Err(bad("an octet is over 255"));
            }
            addr = (addr << 8) | n;
        }
        if addr & !Self::mask(prefix) != 0 {
            let net = Ipv4Cidr { addr: addr & Self::mask(prefix), prefix };
            return Err(bad(&format!("host bits are set; the network is {net}")));
        }
        Ok(Ipv4Cidr { addr, prefix })
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.addr;
        write!(f, "{}.{}.{}.{}/{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, self.prefix)
    }
}

/// Problems of a set of VPC CIDRs, one per region (`index`, message).
pub type CidrProblems = Vec<(usize, String)>;

/// Gives every region a VPC CIDR: the explicit ones are parsed and checked ([`Ipv4Cidr::check_vpc`],
/// no two overlapping); every other region gets the first `10.<n>.0.0/16` (n = 0, 1, …) that
/// overlaps none of the explicit ones nor an earlier allocation. All problems are returned
/// together, each with the index of the region it is about.
pub fn allocate(explicit: &[Option<&str>]) -> Result<Vec<Ipv4Cidr>, CidrProblems> {
    let mut problems = Vec::new();
    let mut parsed: Vec<Option<Ipv4Cidr>> = Vec::with_capacity(explicit.len());
    for (i, e) in explicit.iter().enumerate() {
        match e.map(str::parse::<Ipv4Cidr>) {
            None => parsed.push(None),
            Some(Ok(c)) => {
                if let Err(why) = c.check_vpc() {
                    problems.push((i, why));
                }
                parsed.push(Some(c));
            }
            Some(Err(why)) => {
                problems.push((i, why));
                parsed.push(None);
            }
        }
    }
    for i in 0..parsed.len() {
        for j in 0..i {
            if let (Some(a), Some(b)) = (parsed[i], parsed[j])
                && a.overlaps(&b)
            {
                problems
                    .push((i, format!("VPC CIDR {a} overlaps {b} of another region; regional VPCs must be disjoint")));
            }
        }
    }
    let mut out = Vec::with_capacity(parsed.len());
    let mut taken: Vec<Ipv4Cidr> = parsed.iter().flatten().copied().collect();
    let mut next = 0u32;
    for (i, p) in parsed.iter().enumerate() {
        if let Some(c) = p {
            out.push(*c);
            continue;
        }
        let free = loop {
            if next > 255 {
                problems.push((i, "no free 10.x.0.0/16 left to allocate; give the CIDR explicitly".to_owned()));
                break None;
            }
            let candidate = Ipv4Cidr { addr: (10 << 24) | (next << 16), prefix: 16 };
            next += 1;
            if !taken.iter().any(|t| t.overlaps(&candidate)) {
                break Some(candidate);
            }
        };
        let c = free.unwrap_or(Ipv4Cidr { addr: 10 << 24, prefix: 16 });
        taken.push(c);
        out.push(c);
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

/// The subnet layout of a VPC: `count` equal subnets carved with `Fn::Cidr`, each with
/// `cidr_bits` host bits (the smallest power of two ≥ `count` subnets fills the VPC).
pub fn subnet_bits(vpc: &Ipv4Cidr, count: usize) -> u8 {
    let mut split = 0u8;
    while split < 32 && (1usize << split) < count {
        split += 1;
    }
    // More subnets than the block holds: none left for hosts (the caller's check says so).
    32u8.saturating_sub(vpc.prefix.saturating_add(split))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!("192.168.0.0/16".parse::<Ipv4Cidr>().unwrap().to_string(), "192.168.0.0/16");
        for bad in ["10.0.0.1/16", "10.0.0.0", "10.0.0/16", "10.0.0.256/24", "10.0.0.0/33", "a.b.c.d/8"] {
            assert!(bad.parse::<Ipv4Cidr>().is_err(), "{bad}");
        }
        assert!("8.8.0.0/16".parse::<Ipv4Cidr>().unwrap().check_vpc().is_err());
        assert!("10.0.0.0/8".parse::<Ipv4Cidr>().unwrap().check_vpc().is_err());
        assert!("172.31.0.0/16".parse::<Ipv4Cidr>().unwrap().check_vpc().is_ok());
    }

    #[test]
    fn allocation_skips_explicit_blocks_and_reports_overlaps() {
        let got = allocate(&[None, Some("10.0.0.0/16"), Some("10.1.128.0/17"), None]).unwrap();
        assert_eq!(got[0].to_string(), "10.2.0.0/16");
        assert_eq!(got[3].to_string(), "10.3.0.0/16");
        let err = allocate(&[Some("10.0.0.0/16"), Some("10.0.4.0/24")]).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].0, 1);
        assert!(err[0].1.contains("overlaps 10.0.0.0/16"), "{}", err[0].1);
    }

    #[test]
    fn subnet_bits_fill_the_vpc() {
        let vpc: Ipv4Cidr = "10.0.0.0/16".parse().unwrap();
        assert_eq!(subnet_bits(&vpc, 6), 13);
        assert_eq!(subnet_bits(&vpc, 4), 14);
        assert_eq!(subnet_bits(&"10.0.0.0/24".parse().unwrap(), 12), 4);
    }
}
