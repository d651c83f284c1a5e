Attribute VB_Name = "JourneyRibbon"
' Ribbon callback of the Journey add-in. Every button of the tab (macros/ribbon.xml) calls
' OnButton; the button's tag names the Python action, so a new button needs a ribbon entry
' and a registered action, never new VBA. No logic lives here: RunPython is the xlwings
' runtime built into the add-in, and Python finds the workbook with xw.Book.caller().
' Keep this file ASCII: the VBA project's code page cannot carry Chinese text.
Option Explicit

Public Sub OnButton(control As IRibbonControl)
    ' RunPython reads ActiveWorkbook; without one it would stop with a VBA runtime error.
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open a journey workbook first (click Enable Editing if it is in Protected View).", _
               vbInformation, "Journey"
        Exit Sub
    End If
    RunPython "import journey_workbook.excel as e; e.run('" & control.Tag & "')"
End Sub
