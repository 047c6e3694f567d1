//! What residents of Kota Pekalongan send through Pantau Pekalongan: reports (*laporan*) and
//! proposals (*usulan*) in the app's five areas, with Indonesian texts.
//!
//! Placeholders in texts: `{jalan}` street, `{tempat}` landmark, `{kel}` kelurahan,
//! `{rt}` neighbourhood, `{lama}` duration, `{puskesmas}`, `{sekolah}`, `{n}` a small number.

/// One of the app's five areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Area {
    Kesehatan,
    Infrastruktur,
    Ekonomi,
    SosialLingkungan,
    PotensiDaerah,
}

impl Area {
    /// The contract's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Area::Kesehatan => "kesehatan",
            Area::Infrastruktur => "infrastruktur",
            Area::Ekonomi => "ekonomi",
            Area::SosialLingkungan => "sosial_lingkungan",
            Area::PotensiDaerah => "potensi_daerah",
        }
    }
}

/// A subject residents write about.
pub(crate) struct Topic {
    pub(crate) area: Area,
    /// Relative frequency.
    pub(crate) weight: u32,
    /// (title, description) of reports.
    pub(crate) laporan: &'static [(&'static str, &'static str)],
    /// (title, description) of proposals.
    pub(crate) usulan: &'static [(&'static str, &'static str)],
}

/// All topics.
pub(crate) const TOPICS: &[Topic] = &[
    Topic {
        area: Area::Infrastruktur,
        weight: 12,
        laporan: &[
            ("Saluran air tersumbat", "Saluran depan rumah di {jalan} tersumbat sampah, air meluap saat hujan. Sudah {lama} belum dibersihkan."),
            ("Drainase mampet di {kel}", "Parit di {rt} {kel} dangkal karena lumpur dan sampah plastik. Kalau hujan deras air masuk ke rumah warga. Mohon segera dikeruk."),
            ("Gorong-gorong buntu dekat {tempat}", "Gorong-gorong dekat {tempat} buntu sehingga air menggenang dan berbau. Banyak jentik nyamuk di genangan."),
        ],
        usulan: &[
            ("Usulan normalisasi saluran {jalan}", "Kami warga {kel} mengusulkan normalisasi dan pelebaran saluran di {jalan} sebelum musim hujan, karena setiap tahun selalu meluap."),
        ],
    },
    Topic {
        area: Area::Infrastruktur,
        weight: 12,
        laporan: &[
            ("Jalan berlubang di {jalan}", "Ada lubang cukup dalam di {jalan} depan {tempat}. Malam hari tidak terlihat, kemarin ada pengendara motor jatuh."),
            ("Aspal mengelupas di {jalan}", "Aspal di {jalan} mengelupas sepanjang kurang lebih {n}0 meter dan berlubang. Kondisi ini sudah {lama}."),
            ("Jalan rusak di {rt} {kel}", "Jalan lingkungan {rt} {kel} rusak dan becek, paving banyak yang lepas. Anak sekolah sering terpeleset."),
        ],
        usulan: &[
            ("Usulan pengaspalan ulang {jalan}", "Mohon {jalan} diaspal ulang karena tambalan tidak bertahan lama dan jalan ini ramai dilalui truk dan anak sekolah."),
            ("Usulan pemasangan polisi tidur di {jalan}", "Banyak kendaraan ngebut di {jalan} dekat {sekolah}. Kami mengusulkan pemasangan polisi tidur dan rambu hati-hati."),
        ],
    },
    Topic {
        area: Area::Infrastruktur,
        weight: 9,
        laporan: &[
            ("Lampu PJU mati di {jalan}", "Lampu penerangan jalan di {jalan} dekat {tempat} mati sudah {lama}. Jalan gelap dan rawan jambret."),
            ("{n} titik PJU padam di {kel}", "Ada {n} lampu PJU yang padam di sepanjang jalan utama {kel}. Mohon segera diganti."),
            ("Lampu jalan berkedip terus", "Lampu jalan di {rt} {kel} berkedip terus sejak {lama}, kadang mati total."),
        ],
        usulan: &[
            ("Usulan tambah lampu PJU di {jalan}", "Jarak antar tiang lampu di {jalan} terlalu jauh sehingga ada bagian yang gelap. Mohon ditambah {n} titik PJU."),
        ],
    },
    Topic {
        area: Area::Infrastruktur,
        weight: 6,
        laporan: &[
            ("Genangan rob di {kel}", "Air rob masuk ke permukiman {rt} {kel} setinggi 30 cm dan belum surut sejak {lama}. Mohon pompa dioperasikan."),
            ("Tanggul rembes di {kel}", "Tanggul dekat {kel} rembes, air laut masuk ke jalan kampung saat pasang. Mohon dicek sebelum jebol."),
        ],
        usulan: &[
            ("Usulan rumah pompa di {kel}", "Kami mengusulkan pembangunan rumah pompa tambahan di {kel} karena rob makin sering dan lama surutnya."),
        ],
    },
    Topic {
        area: Area::SosialLingkungan,
        weight: 10,
        laporan: &[
            ("Sampah menumpuk di {tempat}", "Sampah di TPS dekat {tempat} menumpuk dan sudah {lama} tidak diangkut. Bau menyengat dan banyak lalat."),
            ("Truk sampah tidak datang", "Truk sampah tidak datang ke {rt} {kel} sejak {lama}. Sampah warga menumpuk di pinggir {jalan}."),
            ("Buang sampah sembarangan di {jalan}", "Banyak orang membuang sampah di pinggir {jalan}, sampai masuk ke saluran. Mohon dipasang papan larangan."),
        ],
        usulan: &[
            ("Usulan bank sampah di {kel}", "Warga {rt} {kel} ingin membentuk bank sampah. Mohon pendampingan dan bantuan tempat sampah terpilah."),
        ],
    },
    Topic {
        area: Area::SosialLingkungan,
        weight: 6,
        laporan: &[
            ("Limbah batik mencemari sungai", "Air sungai di dekat {kel} berwarna hitam dan berbau karena limbah batik dibuang langsung. Ikan banyak yang mati."),
            ("Limbah cucian batik dibuang ke saluran", "Ada usaha batik rumahan di {jalan} yang membuang limbah pewarna ke saluran warga. Sudah {lama} terjadi."),
        ],
        usulan: &[
            ("Usulan IPAL komunal untuk perajin batik", "Kami mengusulkan IPAL komunal di {kel} agar limbah perajin batik tidak lagi dibuang ke sungai."),
        ],
    },
    Topic {
        area: Area::SosialLingkungan,
        weight: 5,
        laporan: &[
            ("Pohon rawan tumbang di {jalan}", "Pohon besar di {jalan} depan {tempat} sudah miring dan dahannya rapuh. Mohon dipangkas sebelum tumbang saat angin kencang."),
            ("Pengemis dan anak jalanan di {tempat}", "Banyak pengemis dan anak jalanan di sekitar {tempat}, sebagian membawa anak kecil. Mohon ditangani Dinas Sosial."),
            ("Suara bising tiap malam di {rt} {kel}", "Ada kegiatan karaoke sampai lewat tengah malam di {rt} {kel}. Warga terganggu dan sulit istirahat."),
        ],
        usulan: &[
            ("Usulan penghijauan di {jalan}", "Kami mengusulkan penanaman pohon peneduh di sepanjang {jalan} yang panas dan gersang."),
        ],
    },
    Topic {
        area: Area::Kesehatan,
        weight: 7,
        laporan: &[
            ("Antrean lama di Puskesmas {puskesmas}", "Saya datang ke Puskesmas {puskesmas} jam 07.00 tapi baru dilayani jam 11.00. Tidak ada informasi nomor antrean."),
            ("Obat kosong di Puskesmas {puskesmas}", "Obat untuk hipertensi kosong di Puskesmas {puskesmas} sudah {lama}, pasien disuruh beli di apotek."),
        ],
        usulan: &[
            ("Usulan antrean online Puskesmas {puskesmas}", "Mohon Puskesmas {puskesmas} menyediakan pendaftaran online agar lansia tidak menunggu terlalu lama."),
        ],
    },
    Topic {
        area: Area::Kesehatan,
        weight: 6,
        laporan: &[
            ("Kasus DBD di {kel}, mohon fogging", "Sudah ada {n} warga {rt} {kel} yang terkena demam berdarah bulan ini. Mohon segera dilakukan fogging."),
            ("Banyak jentik nyamuk di genangan", "Genangan air di dekat {tempat} tidak pernah kering dan penuh jentik nyamuk. Warga khawatir DBD."),
        ],
        usulan: &[
            ("Usulan pemeriksaan kesehatan lansia", "Kami mengusulkan posyandu lansia di {kel} diadakan rutin setiap bulan dengan pemeriksaan gula darah dan tensi."),
        ],
    },
    Topic {
        area: Area::Ekonomi,
        weight: 5,
        laporan: &[
            ("Pasar becek dan kumuh", "Los pasar dekat {tempat} becek dan atapnya bocor. Pedagang dan pembeli terganggu, apalagi saat hujan."),
            ("PKL memakan badan jalan di {jalan}", "Pedagang kaki lima di {jalan} berjualan sampai ke badan jalan sehingga macet setiap sore."),
            ("Harga minyak goreng di pasar naik", "Harga minyak goreng di pasar naik terus sejak {lama}. Mohon ada operasi pasar."),
        ],
        usulan: &[
            ("Usulan pelatihan pemasaran online UMKM batik", "Kami perajin batik di {kel} mengusulkan pelatihan pemasaran online dan foto produk untuk UMKM."),
            ("Usulan bantuan modal usaha kecil", "Mohon ada program bantuan modal bergulir untuk pedagang kecil di {kel} yang terdampak sepinya pembeli."),
        ],
    },
    Topic {
        area: Area::PotensiDaerah,
        weight: 4,
        laporan: &[
            ("Pantai Pasir Kencana kotor", "Pantai Pasir Kencana banyak sampah kiriman dan fasilitas toilet rusak. Wisatawan mengeluh."),
            ("Papan petunjuk wisata rusak", "Papan petunjuk ke {tempat} rusak dan tulisannya sudah tidak terbaca. Pengunjung dari luar kota sering tersesat."),
        ],
        usulan: &[
            ("Usulan festival batik di {kel}", "Kami mengusulkan festival batik tahunan di {kel} untuk mengenalkan motif khas kampung kami kepada wisatawan."),
            ("Usulan paket wisata Kampung Batik", "Mohon dibuat paket wisata Kampung Batik Kauman dan Museum Batik dengan pemandu dari warga setempat."),
            ("Usulan pengembangan wisata mangrove", "Kawasan mangrove di {kel} berpotensi menjadi wisata edukasi. Mohon dibangun jalur tracking dan gazebo."),
        ],
    },
];
