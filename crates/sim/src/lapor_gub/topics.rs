//! What reaches Lapor Gub! about Kota Pekalongan: the province's sectors (`kategori`) with
//! Indonesian complaint texts, the city OPD that handle each complaint (as Lapor Gub! names
//! them: the short names of `config/agencies.toml`) and their follow-ups.
//!
//! Placeholders in texts: `{jalan}` street, `{tempat}` landmark, `{kel}` kelurahan or desa,
//! `{rt}` neighbourhood, `{lama}` duration, `{puskesmas}`, `{sekolah}`, `{n}` a small number.

/// A sector of complaints.
pub(crate) struct Sector {
    /// `kategori`, as Lapor Gub! spells it.
    pub(crate) kategori: &'static str,
    /// Relative frequency (education, labour, ESDM, social affairs and infrastructure lead).
    pub(crate) weight: u32,
    /// The OPD's short form, followed by the kab/kota name for reports of other kab/kota.
    pub(crate) opd_elsewhere: &'static str,
    /// The complaints of the sector.
    pub(crate) templates: &'static [Template],
}

/// One kind of complaint and how it is handled.
pub(crate) struct Template {
    pub(crate) judul: &'static str,
    pub(crate) text: &'static str,
    /// OPD of Kota Pekalongan it is dispositioned to (one of them).
    pub(crate) opd: &'static [&'static str],
    /// What the OPD answers when it takes action (`Dalam Tindakan`).
    pub(crate) action: &'static str,
    /// What the OPD writes when it closes the report (`Tuntas`).
    pub(crate) closing: &'static str,
}

const fn t(
    judul: &'static str,
    text: &'static str,
    opd: &'static [&'static str],
    action: &'static str,
    closing: &'static str,
) -> Template {
    Template {
        judul,
        text,
        opd,
        action,
        closing,
    }
}

const DPUPR: &[&str] = &["DPUPR Kota Pekalongan", "DPUPR"];
const DINDIK: &[&str] = &["Dindik", "Dinas Pendidikan"];
const DISNAKER: &[&str] = &["Disnaker", "Dinperinaker"];
const DINSOS: &[&str] = &["Dinsos P2KB", "Dinsos-P2KB"];
const DINKES: &[&str] = &["Dinkes Kota Pekalongan"];
const DLH: &[&str] = &["DLH Kota Pekalongan"];
const DISHUB: &[&str] = &["Dishub Kota Pekalongan"];
const DUKCAPIL: &[&str] = &["Disdukcapil Kota Pekalongan", "Dindukcapil"];
const SATPOL: &[&str] = &["Satpol PP Kota Pekalongan"];

/// All sectors.
pub(crate) const SECTORS: &[Sector] = &[
    Sector {
        kategori: "Infrastruktur",
        weight: 17,
        opd_elsewhere: "DPUPR",
        templates: &[
            t("Lampu PJU mati di {jalan}", "Lampu PJU di {jalan} dekat {tempat} mati sejak {lama}. Malam hari jalan sangat gelap & rawan kecelakaan. Mohon segera diperbaiki.", DPUPR,
              "Laporan sudah diteruskan ke tim pemeliharaan PJU, pengecekan dijadwalkan minggu ini.", "Lampu PJU sudah diganti dan menyala kembali."),
            t("Jalan berlubang di {jalan}", "Jalan di {jalan} berlubang cukup dalam dan sudah {lama} tidak diperbaiki. Kalau hujan lubang tidak terlihat, sudah ada pengendara motor yang jatuh.", DPUPR,
              "Tim UPT Jalan sudah meninjau lokasi, penambalan dijadwalkan minggu ini.", "Lubang sudah ditambal, perbaikan permanen masuk anggaran perubahan."),
            t("Drainase tersumbat di {kel}", "Saluran air di {rt} {kel} tersumbat sampah dan lumpur. Setiap hujan air meluap ke jalan dan masuk ke rumah warga. Mohon dilakukan normalisasi.", DPUPR,
              "Satgas drainase sudah diturunkan untuk pengerukan saluran di lokasi.", "Saluran sudah dikeruk dan aliran air kembali lancar."),
            t("Jembatan rusak di {kel}", "Jembatan penghubung di {kel} papan lantainya banyak yang lapuk dan berlubang. Anak-anak sekolah setiap hari melewati jembatan ini, mohon segera diperbaiki.", DPUPR,
              "Tim DPUPR sudah mengukur kerusakan dan memasang rambu peringatan di jembatan.", "Papan lantai jembatan sudah diganti dan jembatan aman dilalui."),
            t("Bantuan RTLH belum turun", "Rumah saya di {rt} {kel} sudah disurvei untuk bantuan rumah tidak layak huni {lama} yang lalu tapi sampai sekarang belum ada kabar. Atap rumah sudah bocor di banyak tempat.", &["Disperkim"],
              "Data pelapor sudah dicek, rumah pelapor masuk daftar usulan RTLH tahun berikutnya.", "Bantuan RTLH untuk rumah pelapor sudah dicairkan dan pengerjaan dimulai."),
        ],
    },
    Sector {
        kategori: "Pendidikan",
        weight: 16,
        opd_elsewhere: "Dinas Pendidikan",
        templates: &[
            t("Pungutan di {sekolah}", "Wali murid {sekolah} dimintai sumbangan Rp {n}00.000 untuk pembangunan kelas tanpa rapat komite. Bagi kami yang tidak mampu ini sangat memberatkan.", DINDIK,
              "Tim pengawas sekolah sudah turun ke sekolah untuk memeriksa pungutan tersebut.", "Pungutan dibatalkan dan dana yang sudah terkumpul dikembalikan kepada wali murid."),
            t("Ijazah anak saya ditahan sekolah", "Ijazah anak saya ditahan oleh {sekolah} karena masih ada tunggakan biaya. Anak saya butuh ijazah untuk melamar kerja, mohon dibantu.", DINDIK,
              "Dinas Pendidikan sudah memanggil kepala sekolah yang bersangkutan untuk klarifikasi.", "Sekolah sudah menyerahkan ijazah kepada pelapor tanpa syarat pelunasan."),
            t("PPDB zonasi tidak adil", "Anak saya tidak diterima di {sekolah} padahal rumah kami di {kel} hanya {n} ratus meter dari sekolah. Ada siswa yang rumahnya lebih jauh justru diterima.", DINDIK,
              "Panitia PPDB sudah memeriksa ulang data jarak domisili pendaftar.", "Hasil verifikasi ulang sudah disampaikan kepada pelapor, anak pelapor diterima melalui jalur afirmasi."),
            t("Seragam sekolah wajib beli di koperasi", "Di {sekolah} siswa baru diwajibkan membeli seragam di koperasi sekolah dengan harga jauh di atas pasar. Mohon ditertibkan.", DINDIK,
              "Dinas Pendidikan sudah menegur sekolah terkait penjualan seragam.", "Sekolah sudah mengumumkan bahwa pembelian seragam di koperasi tidak wajib."),
        ],
    },
    Sector {
        kategori: "Ketenagakerjaan",
        weight: 13,
        opd_elsewhere: "Disnaker",
        templates: &[
            t("THR tidak dibayar perusahaan", "Saya bekerja di perusahaan konveksi batik di {kel} sudah {n} tahun, tapi THR tahun ini tidak dibayar. Mohon Disnaker menindak perusahaan tersebut.", DISNAKER,
              "Disnaker sudah memanggil pihak perusahaan untuk klarifikasi pembayaran THR.", "Perusahaan sudah membayarkan THR kepada pekerja, dibuktikan dengan bukti transfer."),
            t("Gaji di bawah UMK", "Karyawan toko di {jalan} digaji jauh di bawah UMK Kota Pekalongan dan bekerja lebih dari 10 jam sehari tanpa lembur.", DISNAKER,
              "Pengawas ketenagakerjaan provinsi dan Disnaker kota sudah melakukan pemeriksaan ke toko.", "Pemilik usaha sudah menyesuaikan upah pekerja dengan UMK."),
            t("Tidak didaftarkan BPJS Ketenagakerjaan", "Sudah {lama} bekerja tapi perusahaan tidak mendaftarkan saya ke BPJS Ketenagakerjaan, padahal potongan gaji tetap ada.", DISNAKER,
              "Disnaker sudah berkoordinasi dengan BPJS Ketenagakerjaan untuk pemeriksaan kepesertaan.", "Pekerja sudah didaftarkan sebagai peserta BPJS Ketenagakerjaan."),
            t("PHK sepihak tanpa pesangon", "Saya di-PHK sepihak oleh pabrik tempat saya bekerja di {kel} tanpa pesangon sama sekali. Mohon dimediasi.", DISNAKER,
              "Mediator hubungan industrial sudah menjadwalkan mediasi dengan perusahaan.", "Mediasi menghasilkan perjanjian bersama dan pesangon sudah dibayarkan."),
        ],
    },
    Sector {
        kategori: "ESDM",
        weight: 12,
        opd_elsewhere: "Dinas ESDM",
        templates: &[
            t("LPG 3 kg langka di {kel}", "Sudah {lama} gas LPG 3 kg sulit dicari di pangkalan sekitar {kel}. Kalaupun ada harganya Rp {n}5.000, jauh di atas HET.", &["Dindagkop UKM", "Dindagkop"],
              "Petugas sudah mengecek pangkalan yang dilaporkan bersama agen LPG.", "Pasokan LPG ke pangkalan di wilayah tersebut sudah ditambah dan harga kembali sesuai HET."),
            t("Listrik sering padam di {kel}", "Listrik di {rt} {kel} sering padam tanpa pemberitahuan, dalam seminggu bisa {n} kali. Usaha batik rumahan kami jadi terganggu.", &["PLN UP3 Pekalongan", "PLN"],
              "Gangguan jaringan sudah diidentifikasi, perbaikan sedang dikerjakan petugas lapangan.", "Perbaikan jaringan selesai, pasokan listrik sudah normal kembali."),
            t("Air PDAM mati di {kel}", "Air PDAM di {rt} {kel} mati sudah {lama}. Warga terpaksa membeli air galon untuk mandi dan memasak.", &["PDAM Tirta Pusaka", "Perumda Air Minum"],
              "Kebocoran pipa distribusi sudah ditemukan, perbaikan sedang dikerjakan.", "Aliran air sudah normal kembali setelah perbaikan pipa."),
            t("Sumur warga tercemar dan asin", "Air sumur warga di {kel} berubah asin dan berbau sejak {lama}. Mohon dilakukan pengecekan kualitas air tanah.", DLH,
              "Sampel air sumur sudah diambil untuk diuji di laboratorium.", "Hasil uji sudah disampaikan kepada warga, dan pipa PDAM sedang diperluas ke wilayah tersebut."),
        ],
    },
    Sector {
        kategori: "Sosial",
        weight: 12,
        opd_elsewhere: "Dinas Sosial",
        templates: &[
            t("Bansos tidak tepat sasaran di {kel}", "Di {rt} {kel} ada warga mampu yang menerima bansos, sedangkan tetangga saya yang janda dan tidak bekerja justru tidak dapat. Mohon pendataan ulang.", DINSOS,
              "Petugas Dinsos dan TKSK sudah melakukan verifikasi lapangan bersama kelurahan.", "Data penerima sudah diperbarui dalam pemutakhiran DTKS."),
            t("Bantuan PKH tidak cair", "Saya penerima PKH tapi bantuan tahap ini belum cair padahal tetangga lain sudah. Pendamping PKH sulit dihubungi.", DINSOS,
              "Pendamping PKH sudah menghubungi pelapor untuk mengecek data rekening.", "Bantuan sudah cair setelah data rekening diperbaiki."),
            t("ODGJ terlantar di {tempat}", "Ada orang dengan gangguan jiwa yang terlantar di sekitar {tempat} sudah {lama}. Kasihan dan kadang mengganggu pengguna jalan.", DINSOS,
              "Tim reaksi cepat Dinsos sudah menjangkau yang bersangkutan.", "Yang bersangkutan sudah dirujuk ke rumah sakit jiwa dan keluarganya dihubungi."),
            t("Lansia sebatang kara butuh bantuan", "Ada lansia tinggal sendiri di {rt} {kel}, rumahnya hampir roboh dan tidak pernah menerima bantuan apa pun.", DINSOS,
              "Petugas sudah mengunjungi lansia tersebut bersama kelurahan.", "Lansia tersebut sudah menerima bantuan permakanan dan diusulkan bantuan RTLH."),
        ],
    },
    Sector {
        kategori: "Kesehatan",
        weight: 8,
        opd_elsewhere: "Dinas Kesehatan",
        templates: &[
            t("Antrean lama di Puskesmas {puskesmas}", "Saya datang ke Puskesmas {puskesmas} jam 07.00 tapi baru dilayani jam 11.00. Tidak ada informasi nomor antrean.", DINKES,
              "Kepala Puskesmas sudah melakukan evaluasi alur pendaftaran.", "Puskesmas sudah menambah petugas pendaftaran dan memasang nomor antrean."),
            t("BPJS PBI dinonaktifkan", "Kartu BPJS PBI keluarga saya tiba-tiba nonaktif saat berobat, padahal kami tidak mampu. Mohon diaktifkan kembali.", DINKES,
              "Data kepesertaan pelapor sudah diusulkan reaktivasi ke BPJS Kesehatan.", "Kepesertaan BPJS PBI pelapor sudah aktif kembali."),
            t("Pasien ditolak rumah sakit", "Ibu saya ditolak di IGD dengan alasan kamar penuh, padahal kondisinya gawat. Mohon evaluasi pelayanan.", &["RSUD Bendan", "Dinkes Kota Pekalongan"],
              "Manajemen rumah sakit sudah meminta keterangan petugas IGD yang bertugas.", "Prosedur rujukan IGD sudah diperbaiki, terima kasih atas masukannya."),
        ],
    },
    Sector {
        kategori: "Lingkungan Hidup",
        weight: 7,
        opd_elsewhere: "DLH",
        templates: &[
            t("Limbah batik mencemari sungai di {kel}", "Limbah pewarna batik dibuang langsung ke sungai di {kel}. Air sungai berwarna merah kehitaman dan berbau menyengat sudah {lama}.", DLH,
              "Tim DLH sudah mengambil sampel air dan memanggil pemilik usaha batik.", "Usaha batik yang bersangkutan sudah diwajibkan menyalurkan limbah ke IPAL komunal."),
            t("Sampah menumpuk di {tempat}", "Sampah di TPS dekat {tempat} menumpuk dan sudah {lama} tidak diangkut. Baunya menyengat dan banyak lalat.", DLH,
              "Armada pengangkut sampah sudah dijadwalkan ke lokasi.", "Sampah sudah diangkut seluruhnya dan jadwal pengangkutan dinormalkan."),
            t("Asap pembakaran sampah di {kel}", "Ada warga yang setiap sore membakar sampah plastik di {rt} {kel}. Asapnya masuk ke rumah dan membuat anak-anak batuk.", DLH,
              "Petugas DLH bersama kelurahan sudah memberikan teguran kepada warga yang membakar sampah.", "Warga sudah tidak membakar sampah dan sampahnya diangkut petugas."),
        ],
    },
    Sector {
        kategori: "Perhubungan",
        weight: 5,
        opd_elsewhere: "Dishub",
        templates: &[
            t("Parkir liar di {jalan}", "Parkir liar di {jalan} depan {tempat} memakan separuh badan jalan dan sering membuat macet, juru parkirnya menarik tarif di atas ketentuan.", DISHUB,
              "Petugas Dishub sudah melakukan penertiban parkir di lokasi.", "Juru parkir liar sudah ditertibkan dan lokasi dipasang rambu larangan parkir."),
            t("Lampu lalu lintas mati di {jalan}", "Lampu lalu lintas di simpang {jalan} mati sejak {lama}. Kendaraan saling serobot dan hampir terjadi tabrakan.", DISHUB,
              "Petugas sudah diterjunkan untuk mengatur lalu lintas dan memeriksa kerusakan.", "Lampu lalu lintas sudah diperbaiki dan berfungsi normal kembali."),
        ],
    },
    Sector {
        kategori: "Kependudukan",
        weight: 5,
        opd_elsewhere: "Disdukcapil",
        templates: &[
            t("KTP-el belum jadi sejak {lama}", "Saya sudah rekam KTP-el {lama} yang lalu tapi sampai sekarang belum jadi dengan alasan blangko habis. Mohon kejelasan.", DUKCAPIL,
              "Data perekaman pelapor sudah dicek dan masuk antrean cetak.", "KTP-el sudah tercetak dan dapat diambil di kantor Disdukcapil."),
            t("Akta kelahiran anak belum terbit", "Saya mengurus akta kelahiran anak {lama} yang lalu tapi belum terbit juga. Mohon dibantu.", DUKCAPIL,
              "Berkas pelapor sudah dicek dan diproses ulang oleh petugas.", "Akta kelahiran sudah terbit dan dapat diunduh melalui aplikasi."),
        ],
    },
    Sector {
        kategori: "Lainnya",
        weight: 3,
        opd_elsewhere: "Satpol PP",
        templates: &[
            t("PKL berjualan di trotoar {jalan}", "Pedagang kaki lima berjualan di trotoar {jalan} sehingga pejalan kaki terpaksa turun ke jalan.", SATPOL,
              "Satpol PP sudah melakukan pembinaan kepada para pedagang.", "Pedagang sudah direlokasi dan trotoar kembali bisa dilalui pejalan kaki."),
            t("Karaoke buka sampai larut malam", "Tempat karaoke di dekat {tempat} buka sampai lewat tengah malam dan sangat bising, mengganggu warga {kel}.", &["Satpol PP Kota Pekalongan", "Bagian Kesra"],
              "Satpol PP sudah memeriksa izin dan jam operasional tempat karaoke.", "Pengelola sudah diberi surat peringatan dan jam operasional dipantau berkala."),
        ],
    },
];

/// Texts of reports marked spam.
pub(crate) const SPAM: &[(&str, &str)] = &[
    ("tes", "tes"),
    ("coba", "coba coba lapor gub"),
    (
        "Pinjaman dana cepat cair",
        "Butuh dana cepat? Pinjaman tanpa agunan, proses 1 hari cair. Hubungi WA kami.",
    ),
    ("halo admin", "halo admin, apakah aplikasi ini aktif?"),
    (
        "Promo batik murah",
        "Jual batik tulis dan cap harga grosir, bisa COD seluruh Jawa Tengah.",
    ),
];

/// Why a report was found `Tidak Layak`.
pub(crate) const TIDAK_LAYAK: &[&str] = &[
    "Aduan tidak disertai data pendukung yang cukup untuk ditindaklanjuti.",
    "Aduan bukan kewenangan Pemerintah Provinsi maupun Pemerintah Kota.",
    "Aduan bersifat sengketa perdata antarwarga, silakan menempuh jalur hukum.",
];

/// Why a report was returned to the reporter (`Dikembalikan`).
pub(crate) const DIKEMBALIKAN: &[&str] = &[
    "Mohon lengkapi lokasi kejadian secara rinci (nama jalan, RT/RW, kelurahan).",
    "Mohon lengkapi kronologi dan foto pendukung.",
    "Aduan kurang jelas, mohon diperjelas maksud dan tujuan aduan.",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(s: &str) -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    }

    #[test]
    fn every_opd_is_a_name_or_alias_of_the_agencies_table() {
        let table = include_str!("../../../../config/agencies.toml");
        let known: Vec<String> = table
            .lines()
            .filter(|l| l.starts_with("name") || l.starts_with("aliases"))
            .flat_map(|l| l.split('"').skip(1).step_by(2))
            .map(fold)
            .collect();
        assert!(known.len() > 40);
        for s in SECTORS {
            for t in s.templates {
                for opd in t.opd {
                    assert!(known.contains(&fold(opd)), "{opd} is not in agencies.toml");
                }
            }
        }
    }
}
