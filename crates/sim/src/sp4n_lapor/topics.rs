//! What citizens of Kota Pekalongan report through SP4N-LAPOR!: topics with Indonesian
//! texts, their national category pairs and the OPD that handle them.
//!
//! Placeholders in texts: `{jalan}` street, `{tempat}` landmark, `{kel}` kelurahan,
//! `{rt}` neighbourhood, `{lama}` duration, `{puskesmas}`, `{sekolah}`, `{n}` a small number.

use crate::text::opd;

/// A topic of complaints.
pub(crate) struct Topic {
    /// Relative frequency.
    pub(crate) weight: u32,
    /// (main, sub) category pairs, names with plain spaces (resolved against the reference
    /// list to the stored spelling). Template `j` uses pair `j % cats.len()`.
    pub(crate) cats: &'static [(&'static str, &'static str)],
    /// The OPD the report is dispositioned to.
    pub(crate) instansi: &'static [&'static str],
    /// (title, text) of complaints (`PENGADUAN`).
    pub(crate) templates: &'static [(&'static str, &'static str)],
    /// (title, text) of an aspiration (`ASPIRASI`).
    pub(crate) aspirasi: (&'static str, &'static str),
    /// (title, text) of an information request (`PERMINTAAN INFORMASI`).
    pub(crate) informasi: (&'static str, &'static str),
    /// Follow-ups by the agency.
    pub(crate) replies: &'static [&'static str],
}

const PUPR: &str = "PEKERJAAN UMUM DAN PENATAAN RUANG";
const LHK: &str = "LINGKUNGAN HIDUP DAN KEHUTANAN";
const HUB: &str = "PERHUBUNGAN";
const KES: &str = "KESEHATAN";
const DUK: &str = "KEPENDUDUKAN";
const SOS: &str = "SOSIAL DAN KESEJAHTERAAN";
const ESDM: &str = "ENERGI DAN SUMBER DAYA ALAM";
const DIK: &str = "PENDIDIKAN DAN KEBUDAYAAN";
const TRANTIB: &str = "KETENTERAMAN, KETERTIBAN UMUM, DAN PELINDUNGAN MASYARAKAT";

/// All topics.
pub(crate) const TOPICS: &[Topic] = &[
    Topic {
        weight: 14,
        cats: &[(PUPR, "JALAN BERLUBANG"), (PUPR, "INFRASTRUKTUR JALAN"), (PUPR, "JALAN BERLUBANG")],
        instansi: &[opd::DPUPR],
        templates: &[
            ("Jalan berlubang di {jalan}", "Mohon perbaikan jalan berlubang di {jalan} depan {tempat}. Lubangnya cukup dalam dan sudah {lama} tidak diperbaiki. Kalau hujan tergenang dan membahayakan pengendara motor."),
            ("Jalan rusak parah di {jalan}, {kel}", "Jalan di {jalan} ({kel}) rusak dan banyak lubang. Kemarin malam ada pengendara jatuh karena lubangnya tidak terlihat. Mohon segera ditambal sebelum ada korban lagi."),
            ("Mohon perbaikan jalan di {jalan}", "Aspal di {jalan} mengelupas dan berlubang sepanjang kurang lebih 50 meter. Kondisi ini sudah berlangsung {lama}. Mohon dinas terkait segera meninjau lokasi."),
        ],
        aspirasi: ("Usulan pengaspalan ulang {jalan}", "Kami warga {kel} mengusulkan agar {jalan} diaspal ulang tahun ini karena tambalannya tidak bertahan lama dan jalan ini ramai dilalui anak sekolah."),
        informasi: ("Jadwal perbaikan jalan {jalan}", "Mohon informasi kapan jadwal perbaikan jalan di {jalan}? Apakah sudah masuk anggaran tahun ini?"),
        replies: &[
            "Terima kasih atas laporannya. Tim UPT Jalan sudah meninjau lokasi dan penambalan dijadwalkan minggu ini.",
            "Lubang di lokasi tersebut sudah ditambal sementara dengan aspal dingin. Perbaikan permanen menunggu anggaran perubahan.",
            "Sudah dilakukan penambalan oleh tim pemeliharaan jalan DPUPR pada hari ini.",
        ],
    },
    Topic {
        weight: 10,
        cats: &[(HUB, "LAMPU PENERANGAN JALAN UMUM"), (PUPR, "PENERANGAN JALAN"), (HUB, "LAMPU PENERANGAN JALAN UMUM")],
        instansi: &[opd::DISHUB],
        templates: &[
            ("Lampu PJU mati di {jalan}", "Lampu penerangan jalan umum di {jalan} dekat {tempat} mati sudah {lama}. Malam hari jalan sangat gelap dan rawan kejahatan. Mohon segera diperbaiki."),
            ("Penerangan jalan padam di {jalan}", "Ada {n} titik PJU yang mati di sepanjang {jalan}, {kel}. Warga khawatir karena sering ada kejadian jambret di lokasi ini."),
            ("PJU mati di {rt} {kel}", "PJU di lingkungan {rt} {kel} mati total sejak {lama} yang lalu. Sudah lapor ke kelurahan tapi belum ada tindakan."),
        ],
        aspirasi: ("Usulan penambahan lampu PJU di {jalan}", "Mohon ditambah lampu penerangan jalan di {jalan} karena jarak antar tiang terlalu jauh dan jalan gelap pada malam hari."),
        informasi: ("Cara mengajukan pemasangan PJU", "Bagaimana prosedur mengajukan pemasangan lampu PJU baru untuk lingkungan {rt} {kel}?"),
        replies: &[
            "Terima kasih. Petugas PJU Dinas Perhubungan sudah mengganti lampu yang mati di lokasi tersebut.",
            "Laporan sudah kami teruskan ke tim pemeliharaan PJU, perbaikan dijadwalkan dalam 3 hari kerja.",
            "Kerusakan disebabkan kabel putus, sudah diperbaiki dan lampu menyala kembali.",
        ],
    },
    Topic {
        weight: 10,
        cats: &[(LHK, "BANJIR"), (LHK, "BANJIR"), (LHK, "LAINNYA TERKAIT PENANGGULANGAN BENCANA")],
        instansi: &[opd::BPBD, opd::DPUPR],
        templates: &[
            ("Banjir rob di {kel}", "Rob kembali masuk ke permukiman warga {rt} {kel} setinggi 30-50 cm. Sudah {lama} air belum surut dan warga kesulitan beraktivitas. Mohon bantuan pompa dan perbaikan tanggul."),
            ("Genangan banjir di {jalan} tidak surut", "Setiap hujan deras {jalan} depan {tempat} tergenang banjir dan tidak surut berjam-jam. Mohon dicek saluran dan pompanya."),
            ("Tanggul bocor, rob masuk rumah warga {kel}", "Tanggul di dekat {kel} bocor sehingga air rob masuk ke rumah warga. Banyak anak-anak dan lansia terdampak, mohon segera ditangani."),
        ],
        aspirasi: ("Usulan peninggian tanggul rob di {kel}", "Warga {kel} mengusulkan peninggian tanggul dan penambahan rumah pompa karena rob makin sering terjadi."),
        informasi: ("Informasi posko bantuan banjir {kel}", "Mohon informasi lokasi posko pengungsian dan bantuan logistik untuk warga terdampak banjir di {kel}."),
        replies: &[
            "Tim BPBD sudah ke lokasi, pompa portabel dioperasikan dan bantuan logistik disalurkan ke warga terdampak.",
            "Perbaikan tanggul darurat dengan karung pasir sudah dilakukan bersama warga dan relawan.",
            "Rumah pompa di wilayah tersebut sudah dioperasikan penuh, genangan berangsur surut.",
        ],
    },
    Topic {
        weight: 10,
        cats: &[(LHK, "PENGELOLAAN SAMPAH"), (LHK, "PENGELOLAAN SAMPAH"), (TRANTIB, "SAMPAH LIAR")],
        instansi: &[opd::DLH],
        templates: &[
            ("Sampah menumpuk di {tempat}", "Sampah di TPS dekat {tempat} menumpuk dan sudah {lama} tidak diangkut. Baunya sangat menyengat dan banyak lalat. Mohon segera diangkut."),
            ("Truk sampah tidak datang ke {kel}", "Truk sampah tidak datang ke {rt} {kel} sejak {lama}. Sampah warga menumpuk di depan rumah. Mohon jadwal pengangkutan diperbaiki."),
            ("Pembuangan sampah liar di {jalan}", "Banyak orang membuang sampah sembarangan di pinggir {jalan}, {kel}. Sampah sampai meluber ke jalan dan menyumbat saluran air."),
        ],
        aspirasi: ("Usulan penambahan tempat sampah di {tempat}", "Mohon ditambah tempat sampah terpilah dan papan larangan membuang sampah di sekitar {tempat}."),
        informasi: ("Jadwal pengangkutan sampah {kel}", "Mohon informasi jadwal pengangkutan sampah untuk wilayah {kel} dan nomor petugas yang bisa dihubungi."),
        replies: &[
            "Sampah sudah diangkut oleh armada DLH. Terima kasih atas laporannya.",
            "Kami sudah memasang papan larangan dan berkoordinasi dengan kelurahan untuk pengawasan pembuangan sampah liar.",
            "Jadwal pengangkutan di wilayah tersebut sudah kami normalkan kembali setiap Senin, Rabu dan Jumat.",
        ],
    },
    Topic {
        weight: 8,
        cats: &[(PUPR, "DRAINASE (GORONG-GORONG/PARIT)")],
        instansi: &[opd::DPUPR],
        templates: &[
            ("Saluran air tersumbat di {jalan}", "Saluran drainase di {jalan} tersumbat sampah dan lumpur sehingga air meluap ke jalan setiap hujan. Mohon dilakukan normalisasi."),
            ("Gorong-gorong buntu depan {tempat}", "Gorong-gorong di depan {tempat} buntu, air menggenang dan berbau. Sudah {lama} tidak dibersihkan."),
            ("Drainase mampet di {kel}", "Parit di {rt} {kel} dangkal karena sedimentasi dan sering meluap. Mohon dikeruk sebelum musim hujan."),
        ],
        aspirasi: ("Usulan pelebaran saluran di {jalan}", "Kami mengusulkan pelebaran dan penutupan saluran di {jalan} agar air tidak lagi meluap ke jalan."),
        informasi: ("Prosedur permohonan normalisasi saluran", "Bagaimana cara warga {kel} mengajukan permohonan normalisasi saluran lingkungan?"),
        replies: &[
            "Tim satgas drainase DPUPR sudah melakukan pengerukan saluran di lokasi.",
            "Normalisasi saluran telah dijadwalkan dan akan dilaksanakan bersama kerja bakti warga.",
            "Gorong-gorong sudah dibersihkan dari sampah dan sedimen, aliran air kembali lancar.",
        ],
    },
    Topic {
        weight: 7,
        cats: &[(KES, "ANTRIAN LAMA"), (KES, "PETUGAS TIDAK RAMAH"), (KES, "PELAYANAN LAMBAT")],
        instansi: &[opd::DINKES],
        templates: &[
            ("Antrean lama di Puskesmas {puskesmas}", "Saya datang ke Puskesmas {puskesmas} jam 07.00 tapi baru dilayani jam 11.00. Antrean sangat panjang dan tidak ada informasi nomor antrean."),
            ("Petugas Puskesmas {puskesmas} kurang ramah", "Petugas pendaftaran di Puskesmas {puskesmas} bersikap kurang ramah kepada pasien lansia. Mohon ada pembinaan."),
            ("Pelayanan Puskesmas {puskesmas} lambat", "Pelayanan di Puskesmas {puskesmas} lambat, dokter datang terlambat dan obat sering kosong."),
        ],
        aspirasi: ("Usulan antrean online Puskesmas {puskesmas}", "Mohon Puskesmas {puskesmas} menyediakan pendaftaran antrean online agar pasien tidak menunggu terlalu lama."),
        informasi: ("Jam layanan Puskesmas {puskesmas}", "Mohon informasi jam layanan poli gigi dan poli KIA di Puskesmas {puskesmas} pada hari Sabtu."),
        replies: &[
            "Terima kasih masukannya. Kepala Puskesmas sudah melakukan evaluasi dan menambah petugas pendaftaran pada jam sibuk.",
            "Kami sudah memberikan pembinaan kepada petugas yang bersangkutan.",
            "Mulai bulan ini tersedia pendaftaran antrean melalui WhatsApp.",
        ],
    },
    Topic {
        weight: 5,
        cats: &[(DUK, "KTP (KARTU TANDA PENDUDUK)")],
        instansi: &[opd::DINDUKCAPIL],
        templates: &[
            ("KTP-el belum jadi sejak {lama}", "Saya sudah rekam KTP-el di Dindukcapil {lama} yang lalu tapi sampai sekarang belum jadi, alasannya blangko habis. Mohon kejelasan."),
            ("Pelayanan KTP-el di Dindukcapil lama", "Antrean perekaman KTP-el sangat panjang, kuota hanya sedikit per hari. Warga {kel} harus datang berkali-kali."),
        ],
        aspirasi: ("Usulan jemput bola perekaman KTP-el", "Mohon diadakan perekaman KTP-el keliling di kelurahan untuk lansia dan penyandang disabilitas."),
        informasi: ("Syarat penggantian KTP-el rusak", "Mohon informasi syarat dan prosedur penggantian KTP-el yang rusak atau hilang."),
        replies: &[
            "KTP-el atas nama pelapor sudah tercetak dan dapat diambil di kantor Dindukcapil dengan membawa bukti perekaman.",
            "Blangko KTP-el sudah tersedia kembali, pencetakan dilakukan sesuai urutan antrean.",
        ],
    },
    Topic {
        weight: 4,
        cats: &[(DUK, "KARTU KELUARGA"), (DUK, "AKTA KELAHIRAN")],
        instansi: &[opd::DINDUKCAPIL],
        templates: &[
            ("Perubahan KK belum selesai", "Pengajuan perubahan Kartu Keluarga saya lewat online sudah {lama} belum diproses, statusnya masih menunggu verifikasi."),
            ("Akta kelahiran anak belum terbit", "Saya mengurus akta kelahiran anak di Dindukcapil {lama} yang lalu tapi sampai sekarang belum terbit. Mohon dibantu."),
        ],
        aspirasi: ("Usulan layanan adminduk di kelurahan", "Mohon layanan KK dan akta kelahiran bisa diurus langsung di kantor kelurahan {kel}."),
        informasi: ("Syarat pembuatan akta kelahiran", "Apa saja syarat membuat akta kelahiran untuk anak yang lahir di luar kota?"),
        replies: &[
            "Dokumen sudah selesai diproses dan dapat diunduh melalui aplikasi atau diambil di kantor Dindukcapil.",
            "Berkas pelapor kurang lengkap, mohon melengkapi surat keterangan lahir dari bidan/rumah sakit.",
        ],
    },
    Topic {
        weight: 7,
        cats: &[(SOS, "BANTUAN SOSIAL"), (SOS, "PKH PROGRAM KELUARGA HARAPAN"), (SOS, "DATA TERPADU KESEJAHTERAAN SOSIAL (DTKS)")],
        instansi: &[opd::DINSOS],
        templates: &[
            ("Bansos tidak tepat sasaran di {kel}", "Di {rt} {kel} ada warga mampu yang menerima bansos, sedangkan tetangga saya yang janda dan tidak bekerja justru tidak dapat. Mohon pendataan ulang."),
            ("Bantuan PKH tidak cair", "Saya penerima PKH tapi bantuan tahap ini belum cair padahal tetangga lain sudah. Pendamping PKH sulit dihubungi."),
            ("Tidak terdaftar di DTKS", "Keluarga saya tergolong tidak mampu tapi tidak terdaftar di DTKS sehingga tidak bisa mendapat bantuan. Bagaimana cara mendaftar?"),
        ],
        aspirasi: ("Usulan transparansi daftar penerima bansos", "Mohon daftar penerima bansos di setiap kelurahan diumumkan agar warga bisa ikut mengawasi."),
        informasi: ("Cara cek penerima bansos", "Mohon informasi cara mengecek apakah keluarga saya terdaftar sebagai penerima bansos."),
        replies: &[
            "Data pelapor sudah kami verifikasi dan diusulkan masuk DTKS pada periode pemutakhiran berikutnya.",
            "Pendamping PKH sudah menghubungi pelapor. Bantuan tertunda karena data rekening tidak sesuai dan sudah diperbaiki.",
            "Kami sudah melakukan verifikasi lapangan bersama kelurahan terhadap penerima yang dilaporkan.",
        ],
    },
    Topic {
        weight: 7,
        cats: &[(ESDM, "GANGGUAN LAYANAN PENYALURAN AIR"), (ESDM, "GANGGUAN LAYANAN PENYALURAN AIR"), (ESDM, "BIAYA/TARIF PDAM")],
        instansi: &[opd::PDAM],
        templates: &[
            ("Air PDAM mati di {kel}", "Air PDAM di {rt} {kel} mati sudah {lama} tanpa pemberitahuan. Warga terpaksa membeli air galon untuk mandi dan masak."),
            ("Air PDAM keruh dan kecil", "Aliran air PDAM di {jalan} sangat kecil dan airnya keruh kecoklatan. Mohon segera diperbaiki."),
            ("Tagihan PDAM melonjak", "Tagihan air PDAM bulan ini naik tiga kali lipat padahal pemakaian biasa saja. Mohon meteran dicek ulang."),
        ],
        aspirasi: ("Usulan pemberitahuan gangguan air", "Mohon Perumda Air Minum memberi pengumuman lebih awal jika ada perbaikan pipa yang membuat air mati."),
        informasi: ("Jadwal normal aliran air", "Mohon informasi kapan aliran air di wilayah {kel} normal kembali?"),
        replies: &[
            "Gangguan disebabkan pipa transmisi bocor di {jalan}, sudah diperbaiki dan aliran air kembali normal.",
            "Petugas sudah mengecek meteran pelanggan, terdapat kebocoran setelah meter. Tagihan akan disesuaikan.",
            "Air keruh akibat pengurasan reservoir, kualitas air sudah kembali normal.",
        ],
    },
    Topic {
        weight: 5,
        cats: &[(HUB, "PARKIR LIAR")],
        instansi: &[opd::DISHUB],
        templates: &[
            ("Parkir liar di {jalan}", "Banyak kendaraan parkir di bahu {jalan} depan {tempat} sehingga jalan menyempit dan macet setiap sore. Mohon ditertibkan."),
            ("Juru parkir liar di {tempat}", "Ada juru parkir tanpa rompi dan karcis di {tempat} yang menarik tarif Rp5.000 untuk motor. Mohon ditertibkan."),
        ],
        aspirasi: ("Usulan kantong parkir di {tempat}", "Mohon disediakan kantong parkir resmi di sekitar {tempat} agar kendaraan tidak parkir di badan jalan."),
        informasi: ("Tarif parkir resmi", "Mohon informasi tarif resmi parkir tepi jalan umum di Kota Pekalongan."),
        replies: &[
            "Tim Dinas Perhubungan bersama Satpol PP sudah melakukan penertiban parkir di lokasi.",
            "Juru parkir yang bersangkutan sudah dibina dan wajib memberikan karcis sesuai tarif.",
        ],
    },
    Topic {
        weight: 4,
        cats: &[(LHK, "LAINNYA TERKAIT PENANGGULANGAN BENCANA"), (PUPR, "TAMAN")],
        instansi: &[opd::BPBD, opd::DLH],
        templates: &[
            ("Pohon tumbang di {jalan}", "Pohon besar tumbang di {jalan} setelah hujan angin dan menutup separuh jalan. Mohon segera dievakuasi."),
            ("Pohon rawan tumbang di {tempat}", "Ada pohon besar yang miring dan rapuh di dekat {tempat}. Mohon dipangkas sebelum tumbang menimpa warga."),
        ],
        aspirasi: ("Usulan pemangkasan pohon di {jalan}", "Mohon dilakukan pemangkasan rutin pohon peneduh di {jalan} menjelang musim hujan."),
        informasi: ("Nomor darurat pohon tumbang", "Ke nomor mana warga bisa melapor jika ada pohon tumbang pada malam hari?"),
        replies: &[
            "Tim gabungan BPBD dan DLH sudah mengevakuasi pohon tumbang, jalan sudah bisa dilalui kembali.",
            "Pemangkasan pohon sudah dilakukan oleh petugas pertamanan.",
        ],
    },
    Topic {
        weight: 4,
        cats: &[(DIK, "PENERIMAAN SISWA BARU")],
        instansi: &[opd::DINDIK],
        templates: &[
            ("PPDB zonasi {sekolah} tidak adil", "Anak saya tinggal dekat {sekolah} tapi tidak diterima lewat jalur zonasi, sedangkan yang rumahnya jauh diterima. Mohon transparansi."),
            ("Situs PPDB error", "Situs pendaftaran PPDB tidak bisa diakses sejak pagi, padahal hari ini batas akhir pendaftaran. Mohon diperpanjang."),
        ],
        aspirasi: ("Usulan sosialisasi PPDB", "Mohon sosialisasi aturan PPDB dilakukan lebih awal di setiap kelurahan, termasuk {kel}."),
        informasi: ("Jadwal PPDB SMP", "Mohon informasi jadwal dan syarat PPDB SMP negeri di Kota Pekalongan tahun ini."),
        replies: &[
            "Penetapan jalur zonasi berdasarkan jarak titik koordinat sesuai Kartu Keluarga. Rincian perhitungan sudah kami sampaikan kepada pelapor.",
            "Gangguan server PPDB sudah teratasi dan masa pendaftaran diperpanjang satu hari.",
        ],
    },
    Topic {
        weight: 4,
        cats: &[(TRANTIB, "KETERTIBAN UMUM")],
        instansi: &[opd::SATPOL],
        templates: &[
            ("PKL berjualan di trotoar {jalan}", "Pedagang kaki lima berjualan di trotoar {jalan} sehingga pejalan kaki terpaksa turun ke jalan. Mohon ditertibkan."),
            ("Balap liar di {jalan} setiap malam", "Setiap malam Minggu ada balap liar di {jalan} sampai dini hari. Sangat mengganggu dan membahayakan warga."),
        ],
        aspirasi: ("Usulan relokasi PKL {tempat}", "Mohon PKL di sekitar {tempat} direlokasi ke tempat yang lebih tertata agar tetap bisa berjualan."),
        informasi: ("Aturan berjualan di trotoar", "Mohon informasi aturan jam dan lokasi yang boleh digunakan PKL di Kota Pekalongan."),
        replies: &[
            "Satpol PP sudah melakukan penertiban dan memberikan surat teguran kepada pedagang.",
            "Patroli malam sudah ditingkatkan di lokasi bersama kepolisian.",
        ],
    },
    Topic {
        weight: 5,
        cats: &[(LHK, "PENCEMARAN LINGKUNGAN")],
        instansi: &[opd::DLH],
        templates: &[
            ("Limbah batik dibuang ke sungai di {kel}", "Air sungai di {kel} berwarna hitam dan berbau karena limbah batik dibuang langsung tanpa diolah. Mohon usaha batik di sekitar sini diperiksa."),
            ("Asap pembakaran di {kel}", "Ada pembakaran sampah plastik setiap sore di {rt} {kel}. Asapnya masuk ke rumah warga dan membuat anak-anak batuk."),
        ],
        aspirasi: ("Usulan IPAL komunal untuk UMKM batik", "Mohon dibangun IPAL komunal di {kel} agar pengrajin batik tidak membuang limbah ke sungai."),
        informasi: ("Prosedur izin lingkungan usaha batik", "Mohon informasi prosedur pengurusan izin lingkungan untuk usaha batik rumahan."),
        replies: &[
            "Tim DLH sudah melakukan pengambilan sampel air dan memberikan teguran tertulis kepada usaha yang membuang limbah.",
            "Pelaku pembakaran sampah sudah diberi pembinaan bersama kelurahan.",
        ],
    },
    Topic {
        weight: 3,
        cats: &[(PUPR, "TROTOAR")],
        instansi: &[opd::DPUPR],
        templates: &[
            ("Trotoar rusak di {jalan}", "Trotoar di {jalan} dekat {tempat} banyak yang ambles dan pecah. Berbahaya bagi pejalan kaki terutama lansia dan tunanetra."),
            ("Penutup saluran trotoar hilang", "Penutup saluran di trotoar {jalan} hilang sehingga ada lubang terbuka. Mohon segera diganti."),
        ],
        aspirasi: ("Usulan trotoar ramah disabilitas", "Mohon trotoar di {jalan} dilengkapi ramp dan guiding block untuk penyandang disabilitas."),
        informasi: ("Rencana revitalisasi trotoar", "Apakah ada rencana revitalisasi trotoar di {jalan} tahun ini?"),
        replies: &[
            "Perbaikan trotoar sudah masuk daftar pemeliharaan dan dikerjakan bulan ini.",
            "Penutup saluran sudah dipasang kembali oleh petugas DPUPR.",
        ],
    },
];

/// Replies of reporters to a follow-up.
pub(crate) const PELAPOR_REPLIES: &[&str] = &[
    "Terima kasih atas tindak lanjutnya, tapi sampai hari ini belum ada perubahan di lokasi. Mohon dicek kembali.",
    "Kapan kepastian pelaksanaannya? Warga sudah menunggu lama.",
    "Sudah ada petugas datang, tapi baru sebagian yang dikerjakan.",
    "Masalahnya muncul lagi sejak kemarin, mohon ditindaklanjuti kembali.",
    "Terima kasih, mohon dipantau terus agar tidak terulang.",
];

/// Closing follow-ups by the agency.
pub(crate) const CLOSING_REPLIES: &[&str] = &[
    "Berdasarkan hasil pengecekan ulang, pekerjaan di lokasi telah selesai. Laporan kami tutup.",
    "Terima kasih atas konfirmasinya. Permasalahan sudah ditangani dan laporan dinyatakan selesai.",
    "Petugas sudah kembali ke lokasi dan menyelesaikan sisa pekerjaan.",
];

/// Follow-ups explaining that a report in the city is outside the agency's authority.
pub(crate) const BUKAN_WEWENANG_INSIDE: &[&str] = &[
    "Mohon maaf, permasalahan tersebut bukan kewenangan Pemerintah Kota Pekalongan. Laporan kami teruskan kepada instansi yang berwenang.",
    "Permasalahan tersebut merupakan kewenangan Pemerintah Provinsi Jawa Tengah, laporan kami teruskan melalui SP4N-LAPOR!.",
    "Permasalahan tersebut merupakan urusan perdata antarwarga sehingga bukan kewenangan kami. Silakan diselesaikan secara musyawarah melalui RT/RW.",
];

/// Follow-ups on reports of places outside the city.
pub(crate) const BUKAN_WEWENANG_OUTSIDE: &[&str] = &[
    "Lokasi yang dilaporkan berada di luar wilayah Kota Pekalongan sehingga bukan kewenangan kami. Laporan kami teruskan ke pemerintah kabupaten terkait.",
    "Mohon maaf, lokasi tersebut termasuk wilayah kabupaten, bukan Kota Pekalongan. Silakan memilih instansi tujuan pemerintah kabupaten yang bersangkutan.",
];

/// Answers to aspirations.
pub(crate) const ASPIRASI_REPLIES: &[&str] = &[
    "Terima kasih atas usulannya. Usulan akan kami tampung dan dibahas dalam Musrenbang kelurahan untuk perencanaan tahun berikutnya.",
    "Usulan Saudara sudah kami catat dan akan ditindaklanjuti sesuai ketersediaan anggaran.",
    "Terima kasih, usulan tersebut sejalan dengan program kami dan akan dilaksanakan secara bertahap.",
];

/// Answers to information requests.
pub(crate) const INFORMASI_REPLIES: &[&str] = &[
    "Terima kasih atas pertanyaannya. Informasi lengkap dapat dilihat di laman resmi Pemerintah Kota Pekalongan atau ditanyakan langsung ke kantor kami pada jam kerja.",
    "Informasi yang diminta sudah kami sampaikan kepada pelapor melalui pesan.",
    "Persyaratan dan jadwalnya sudah kami sampaikan; silakan datang ke kantor kami pada hari kerja pukul 08.00-15.00 WIB.",
];

/// Notes on archived reports.
pub(crate) const ARSIP_NOTES: &[&str] = &[
    "Laporan diarsipkan karena data yang disampaikan pelapor tidak lengkap.",
    "Laporan diarsipkan karena merupakan duplikasi laporan sebelumnya.",
];
