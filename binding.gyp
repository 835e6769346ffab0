{
  "targets": [
    {
      "target_name": "arpinject_pcap",
      "sources": ["src/link/native/pcap_binding.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
