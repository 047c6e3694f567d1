//! What residents of Kota Pekalongan send to Wadul Aladin on WhatsApp, in the words they
//! type (informal, to "min" the admin), and what the complaint team writes into its
//! register: a summary, the OPD's follow-up, the team's own answer.
//!
//! Placeholders are those of [`Fill`](crate::text::Fill): `{jalan}`, `{tempat}`, `{kel}`,
//! `{rt}`, `{lama}`, `{puskesmas}`, `{sekolah}`, `{n}`.

/// A subject of complaints, with the team's `Kategori` and the OPD that handles it.
pub(crate) struct Topic {
    /// `Kategori` of the register (one of the contract's labels).
    pub(crate) kategori: &'static str,
    /// `OPD Tujuan` when the case is forwarded.
    pub(crate) opd: &'static str,
    /// Relative frequency.
    pub(crate) weight: u32,
    /// A thread's first text: the complaint.
    pub(crate) openers: &'static [&'static str],
    /// Later texts of the thread.
    pub(crate) more: &'static [&'static str],
    /// Captions of photos and videos.
    pub(crate) captions: &'static [&'static str],
    /// `Ringkasan Aduan`, in the team's words (commas, quotes and line breaks included).
    pub(crate) summaries: &'static [&'static str],
    /// `Tindak Lanjut` of the OPD.
    pub(crate) replies: &'static [&'static str],
    /// `Tindak Lanjut` when the team answers itself (`Dijawab Tim`).
    pub(crate) answers: &'static [&'static str],
}

/// Texts any thread may hold after its first message.
pub(crate) const FOLLOW_UPS: &[&str] = &[
    "Ini fotonya min",
    "Mohon segera ditindaklanjuti nggih 🙏",
    "Lokasinya di {jalan} dekat {tempat} min",
    "Min, gimana kelanjutannya? Belum ada petugas yang datang",
    "Sudah {lama} kondisinya seperti ini",
    "Terima kasih min",
    "Warga {rt} {kel} sudah resah",
    "Maaf min, tambahan: kejadiannya tiap hari",
    "Saya warga {kel}, bisa dihubungi di nomor ini",
];

/// Greetings some residents send before the complaint, in the same message.
pub(crate) const GREETINGS: &[&str] = &[
    "Assalamualaikum min, ",
    "Selamat pagi admin Wadul Aladin, ",
    "Permisi min, mau lapor. ",
    "Halo min, ",
    "Mohon izin melapor. ",
];

/// `Catatan` of the team at each status.
pub(crate) mod notes {
    pub(crate) const VERIFIED: &[&str] = &[
        "Sudah diverifikasi, foto dan lokasi lengkap",
        "Terverifikasi. Menunggu disposisi",
        "Pelapor sudah dikonfirmasi via WA",
    ];
    pub(crate) const RETURNED: &[&str] = &[
        "Dikembalikan OPD: lokasi kurang jelas, mohon titik koordinat",
        "Dikembalikan: bukan kewenangan OPD, perlu dialihkan",
        "Dikembalikan OPD, minta foto tambahan \"yang terbaru\"",
    ];
    pub(crate) const ARCHIVED: &[&str] = &[
        "Diarsipkan: tidak dilengkapi dalam 10 hari",
        "Bukan aduan (salam/tes), diarsipkan",
        "Duplikat dengan aduan sebelumnya, diarsipkan",
    ];
    pub(crate) const DONE: &[&str] = &[
        "Selesai, pelapor tidak menanggapi dalam 10 hari",
        "Pelapor menyatakan puas",
        "Ditutup. Pelapor: \"terima kasih, sudah beres\"",
    ];
    /// The source line of a case typed in by hand, when the reporter's number is known.
    pub(crate) const WALK_IN: &[&str] = &[
        "Pelapor datang langsung ke Posko Wadul Aladin",
        "Aduan lisan lewat telepon, diketik oleh tim",
        "Pelapor datang ke Mal Pelayanan Publik, dicatat petugas",
    ];
    /// The source line of a case typed in by hand without a number.
    pub(crate) const NO_NUMBER: &[&str] = &[
        "Diteruskan dari tangkapan layar grup WA RT",
        "Tangkapan layar kiriman kelurahan, nomor pelapor tidak dicantumkan",
        "Surat aduan warga tanpa nomor telepon",
    ];
}

/// All topics.
pub(crate) const TOPICS: &[Topic] = &[
    Topic {
        kategori: "Jalan",
        opd: "DPUPR",
        weight: 16,
        openers: &[
            "jalan di {jalan} depan {tempat} berlubang besar min, kemarin ada yang jatuh dari motor",
            "Min mau lapor jalan rusak di {rt} {kel}, paving lepas semua dan becek kalau hujan",
            "Aspal {jalan} mengelupas panjang kurang lebih {n}0 meter, sudah {lama} belum diperbaiki. Mohon ditambal",
        ],
        more: &[
            "Lubangnya dalam min, malam hari tidak kelihatan",
            "Tolong dipasang tanda dulu sebelum ada korban lagi",
        ],
        captions: &["lubang di {jalan}", "kondisi jalan pagi ini", "ini min jalannya"],
        summaries: &[
            "Jalan berlubang di {jalan}, depan {tempat}; pengendara motor jatuh",
            "Paving jalan lingkungan {rt} {kel} lepas, becek saat hujan",
            "Aspal {jalan} mengelupas \u{b1} {n}0 m.\nPelapor: \"sudah {lama} dibiarkan\"",
        ],
        replies: &[
            "Sudah ditambal oleh UPT Jalan DPUPR pada hari ini.",
            "Lokasi sudah ditinjau. Penambalan sementara dengan aspal dingin, perbaikan permanen menunggu anggaran perubahan.",
            "Tim pemeliharaan sudah memasang rambu \"hati-hati\";\nperbaikan dijadwalkan minggu depan.",
        ],
        answers: &["Jalan tersebut jalan provinsi, sudah kami sampaikan ke BPJ Wilayah Pekalongan. Terima kasih."],
    },
    Topic {
        kategori: "PJU",
        opd: "DPUPR",
        weight: 12,
        openers: &[
            "Lampu PJU di {jalan} dekat {tempat} mati min, sudah {lama}. Gelap banget rawan jambret",
            "min {n} lampu jalan di {kel} padam semua",
            "Lampu jalan {rt} {kel} kedip2 terus, kadang mati total",
        ],
        more: &["Tiangnya yang dekat warung min", "Tadi malam masih mati"],
        captions: &["kondisi malam hari", "tiang PJU yang mati"],
        summaries: &[
            "PJU mati di {jalan} dekat {tempat}, sudah {lama}",
            "{n} titik PJU padam di {kel}",
            "Lampu PJU {rt} {kel} berkedip, kadang mati total",
        ],
        replies: &[
            "Lampu sudah diganti oleh petugas PJU, menyala kembali.",
            "Kabel putus sudah disambung, lampu menyala.\nMohon info bila padam lagi.",
        ],
        answers: &["PJU di lokasi tersebut milik PLN (lampu jalan kampung swadaya), silakan lapor ke PLN 123. Terima kasih."],
    },
    Topic {
        kategori: "Drainase",
        opd: "DPUPR",
        weight: 12,
        openers: &[
            "Saluran depan rumah di {jalan} mampet min, kalau hujan air masuk rumah",
            "Min got di {rt} {kel} buntu penuh sampah, baunya nggak karuan",
            "Rob masuk lagi ke {kel}, sudah {lama} belum surut. Pompanya nyala nggak min?",
        ],
        more: &["Airnya sampai selutut tadi subuh", "Banyak jentik nyamuk di genangan"],
        captions: &["genangan depan rumah", "saluran yang mampet", "rob pagi ini"],
        summaries: &[
            "Saluran di {jalan} tersumbat, air masuk rumah saat hujan",
            "Drainase {rt} {kel} buntu, berbau",
            "Rob di {kel} belum surut {lama}; warga tanya operasional pompa",
        ],
        replies: &[
            "Saluran sudah dinormalisasi dan dikeruk oleh tim DPUPR.",
            "Pompa di rumah pompa terdekat sudah dioperasikan 24 jam; genangan berangsur surut.",
        ],
        answers: &["Pengerukan saluran tersebut sudah masuk jadwal kerja bakti kelurahan hari Minggu ini."],
    },
    Topic {
        kategori: "Sampah/Kebersihan",
        opd: "DLH",
        weight: 12,
        openers: &[
            "Sampah di TPS dekat {tempat} numpuk min, sudah {lama} nggak diangkut",
            "Truk sampah nggak datang ke {rt} {kel} sejak {lama}",
            "Banyak orang buang sampah sembarangan di pinggir {jalan}, sampai masuk saluran",
        ],
        more: &["Baunya sampai ke rumah min", "Mohon dipasang papan larangan"],
        captions: &["tumpukan sampah", "TPS penuh"],
        summaries: &[
            "Sampah menumpuk di TPS dekat {tempat}, {lama} tidak diangkut",
            "Truk sampah tidak datang ke {rt} {kel}",
            "Buang sampah sembarangan di {jalan}, masuk saluran",
        ],
        replies: &[
            "Sampah sudah diangkut oleh armada DLH pagi ini.",
            "Jadwal pengangkutan {kel} sudah dinormalkan: Senin, Rabu, Jumat.",
        ],
        answers: &["Papan larangan buang sampah bisa diajukan lewat kelurahan; jadwal angkut wilayah tersebut Selasa dan Jumat."],
    },
    Topic {
        kategori: "Pendidikan",
        opd: "Dindik",
        weight: 6,
        openers: &[
            "Min mau tanya, anak saya belum dapat seragam gratis dari {sekolah}",
            "Atap kelas di {sekolah} bocor, anak-anak belajar sambil kehujanan",
            "Ada pungutan uang gedung di {sekolah}, katanya wajib. Itu boleh min?",
        ],
        more: &["Nominalnya Rp{n}00 ribu min", "Mohon nama saya dirahasiakan"],
        captions: &["atap kelas bocor", "surat edaran dari sekolah"],
        summaries: &[
            "Seragam gratis belum diterima siswa {sekolah}",
            "Atap kelas {sekolah} bocor",
            "Dugaan pungutan \"uang gedung\" di {sekolah}, Rp{n}00.000",
        ],
        replies: &[
            "Sudah dikonfirmasi ke sekolah; seragam dibagikan minggu ini.",
            "Dindik sudah memanggil kepala sekolah. Pungutan dibatalkan dan uang dikembalikan.",
        ],
        answers: &["Pendaftaran seragam gratis lewat wali kelas paling lambat akhir bulan ini."],
    },
    Topic {
        kategori: "Kesehatan",
        opd: "Dinkes",
        weight: 8,
        openers: &[
            "Antrean di Puskesmas {puskesmas} lama banget min, datang jam 7 baru dilayani jam 11",
            "Sudah {n} warga {rt} {kel} kena DBD bulan ini, mohon fogging",
            "Obat hipertensi di Puskesmas {puskesmas} kosong terus, disuruh beli sendiri",
        ],
        more: &["Kasihan yang lansia min", "Anak tetangga sampai dirawat di RSUD Bendan"],
        captions: &["antrean pagi ini", "genangan banyak jentik"],
        summaries: &[
            "Antrean lama di Puskesmas {puskesmas}",
            "{n} kasus DBD di {rt} {kel}, warga minta fogging",
            "Obat hipertensi kosong di Puskesmas {puskesmas}, pasien diminta beli sendiri",
        ],
        replies: &[
            "Fogging sudah dilaksanakan bersama puskesmas; PSN tetap digalakkan.",
            "Puskesmas menambah loket pendaftaran dan antrean online mulai bulan depan.",
        ],
        answers: &["Fogging hanya dilakukan bila ada kasus terkonfirmasi; silakan lapor ke Puskesmas {puskesmas} dengan hasil lab."],
    },
    Topic {
        kategori: "Adminduk",
        opd: "Disdukcapil",
        weight: 8,
        openers: &[
            "Min KTP saya sudah {lama} belum jadi, katanya blangko habis",
            "Mau tanya syarat bikin KK baru setelah menikah apa saja ya min",
            "Akta kelahiran anak saya salah nama, cara benerinnya gimana",
        ],
        more: &["Padahal perlu buat daftar sekolah", "Sudah ke kelurahan tapi disuruh ke dukcapil"],
        captions: &["resi KTP", "foto akta yang salah"],
        summaries: &[
            "KTP-el belum jadi {lama}, alasan blangko habis",
            "Tanya syarat KK baru setelah menikah",
            "Perbaikan nama di akta kelahiran anak",
        ],
        replies: &[
            "KTP-el sudah dicetak, bisa diambil di kantor Disdukcapil dengan membawa resi.",
            "Perbaikan akta bisa dilayani di Disdukcapil: bawa akta asli, KK, dan surat keterangan.",
        ],
        answers: &["Syarat KK baru: buku nikah, KK lama kedua pihak, KTP-el. Bisa daftar online lewat aplikasi dukcapil."],
    },
    Topic {
        kategori: "Bansos",
        opd: "Dinsos P2KB",
        weight: 7,
        openers: &[
            "Min saya janda lansia di {kel} belum pernah dapat bansos, padahal tetangga yang mampu dapat",
            "BPNT bulan ini belum cair min, biasanya tanggal {n}",
            "Mau tanya cara daftar DTKS gimana min",
        ],
        more: &["Sudah ke kelurahan juga belum ada jawaban", "KK saya sudah difoto tadi"],
        captions: &["kartu KKS", "surat keterangan tidak mampu"],
        summaries: &[
            "Lansia di {kel} belum menerima bansos; penerima dinilai \"tidak tepat sasaran\"",
            "BPNT belum cair",
            "Tanya cara daftar DTKS",
        ],
        replies: &[
            "Sudah diusulkan masuk DTKS lewat musyawarah kelurahan.",
            "Pencairan BPNT tertunda dari pusat, sudah cair per hari ini.",
        ],
        answers: &["Pendaftaran DTKS lewat kelurahan dengan membawa KK dan KTP; verifikasi oleh petugas Dinsos."],
    },
    Topic {
        kategori: "Air Bersih",
        opd: "Perumda Air Minum",
        weight: 8,
        openers: &[
            "Air PDAM di {rt} {kel} mati sudah {lama} min",
            "Air PDAM keruh dan bau di {jalan}, nggak bisa dipakai masak",
            "Pipa PDAM bocor di {jalan} depan {tempat}, airnya muncrat ke jalan",
        ],
        more: &["Tagihan tetap jalan padahal air mati", "Nomor pelanggan saya sudah saya kirim"],
        captions: &["air keruh", "pipa bocor"],
        summaries: &[
            "Air PDAM mati {lama} di {rt} {kel}",
            "Air PDAM keruh, berbau di {jalan}",
            "Pipa bocor di {jalan} depan {tempat}",
        ],
        replies: &[
            "Pipa bocor sudah diperbaiki tim teknik Perumda Air Minum; aliran normal kembali.",
            "Pengurasan jaringan sudah dilakukan, air kembali jernih.",
        ],
        answers: &["Ada perbaikan pipa transmisi, aliran normal kembali besok pagi. Mohon maaf atas gangguannya."],
    },
    Topic {
        kategori: "Lainnya",
        opd: "",
        weight: 6,
        openers: &[
            "Min ada karaoke sampai jam 2 pagi di {rt} {kel}, warga nggak bisa tidur",
            "Banyak anjing liar di sekitar {tempat}, anak-anak takut",
            "PKL di {jalan} makan badan jalan, tiap sore macet",
        ],
        more: &["Sudah ditegur tapi tidak digubris", "Mohon ditertibkan"],
        captions: &["kondisi sore ini", "lokasinya"],
        summaries: &[
            "Karaoke sampai dini hari di {rt} {kel}",
            "Anjing liar di sekitar {tempat}",
            "PKL memakan badan {jalan}, macet tiap sore",
        ],
        replies: &["Sudah ditertibkan bersama Satpol PP dan kelurahan."],
        answers: &["Sudah kami koordinasikan dengan kelurahan dan Bhabinkamtibmas setempat."],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_use_the_contract_labels() {
        let kategori = [
            "Jalan",
            "PJU",
            "Drainase",
            "Sampah/Kebersihan",
            "Pendidikan",
            "Kesehatan",
            "Adminduk",
            "Bansos",
            "Air Bersih",
            "Lainnya",
        ];
        let opd = [
            "DPUPR",
            "DLH",
            "Dinkes",
            "Disdukcapil",
            "Dinsos P2KB",
            "Dindik",
            "Perumda Air Minum",
            "",
        ];
        for t in TOPICS {
            assert!(kategori.contains(&t.kategori), "{}", t.kategori);
            assert!(opd.contains(&t.opd), "{}", t.opd);
            for list in [
                t.openers,
                t.more,
                t.captions,
                t.summaries,
                t.replies,
                t.answers,
            ] {
                assert!(!list.is_empty(), "{}", t.kategori);
            }
        }
    }
}
