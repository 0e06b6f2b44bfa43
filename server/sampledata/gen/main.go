// Command gen writes the sample knowledge base's PDF, a support guide of
// C1DO1, so the sample covers PDF ingestion with pages and headings.
//
//	go run ./server/sampledata/gen
//
// The output is committed; run it again after editing the text below.
package main

import (
	"flag"
	"log"
	"time"

	"github.com/go-pdf/fpdf"
)

type section struct {
	heading string
	paras   []string
}

// pages of the guide; each inner slice starts a new page.
var pages = [][]section{
	{
		{"Guía de soporte de C1DO1", []string{
			"Esta guía reúne las soluciones a los problemas técnicos más frecuentes de la plataforma C1DO1 y de la aplicación Teach1. Si tu caso no aparece aquí, escribe a soporte@c1do1.com.",
		}},
		{"Requisitos para usar la plataforma", []string{
			"C1DO1 funciona en las dos últimas versiones de Chrome, Firefox, Safari y Edge. Se recomienda una conexión de al menos 5 Mbps para ver los videos en alta definición.",
			"Para los cuestionarios con tiempo límite, usa una conexión estable: si la conexión se corta, el cuestionario se guarda y puedes retomarlo durante los 10 minutos siguientes.",
		}},
		{"Problemas con el audio o el video", []string{
			"Si el video se ve pero no se escucha, revisa que el reproductor no esté silenciado y que el navegador tenga permiso para reproducir sonido en www.c1do1.com.",
			"Si el video se detiene a cada momento, baja la calidad a 480p desde el ícono de engranaje del reproductor o descarga la lección en la app Teach1 para verla sin conexión.",
		}},
	},
	{
		{"Entrega de tareas", []string{
			"Las tareas se entregan en formato PDF, DOCX o ZIP, con un tamaño máximo de 50 MB. Si la entrega falla, cambia el nombre del archivo para quitar tildes y símbolos y vuelve a intentarlo.",
			"Después de la fecha límite la entrega queda cerrada; si tuviste un problema técnico, escribe a evaluaciones@c1do1.com dentro de las 24 horas siguientes con una captura del error.",
		}},
		{"Sesiones en vivo", []string{
			"Las clases en vivo se anuncian en la página del curso con una semana de anticipación. Para entrar, pulsa Unirme cinco minutos antes y permite el uso del micrófono si quieres hablar.",
			"Todas las sesiones en vivo quedan grabadas y se publican en el curso dentro de las 24 horas siguientes.",
		}},
	},
}

func main() {
	out := flag.String("o", "server/sampledata/kb/13-guia-de-soporte.pdf", "output file")
	flag.Parse()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle("Guía de soporte de C1DO1", true)
	pdf.SetAuthor("C1DO1", true)
	// Fixed dates keep the file byte-for-byte reproducible.
	fixed := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	pdf.SetCreationDate(fixed)
	pdf.SetModificationDate(fixed)
	pdf.SetCompression(true)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // UTF-8 to the core fonts' cp1252
	for _, page := range pages {
		pdf.AddPage()
		for i, s := range page {
			size := 14.0
			if i == 0 && s.heading == "Guía de soporte de C1DO1" {
				size = 20
			}
			pdf.SetFont("Helvetica", "B", size)
			pdf.MultiCell(0, size*0.5, tr(s.heading), "", "L", false)
			pdf.Ln(2)
			pdf.SetFont("Helvetica", "", 11)
			for _, p := range s.paras {
				pdf.MultiCell(0, 5.5, tr(p), "", "L", false)
				pdf.Ln(3)
			}
			pdf.Ln(3)
		}
	}
	if err := pdf.OutputFileAndClose(*out); err != nil {
		log.Fatal(err)
	}
}
