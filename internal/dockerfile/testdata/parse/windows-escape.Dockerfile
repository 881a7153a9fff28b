# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
WORKDIR C:\app
COPY testfile.txt C:\
RUN New-Item -ItemType Directory -Path C:\data ; `
    Set-Content -Path C:\data\hello.txt -Value 'hi'
ENV PATH="C:\tools;C:\Windows\system32" `
    APP_DIR=C:\app
ENTRYPOINT ["C:\\app\\run.exe"]
