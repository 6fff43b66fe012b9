using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Wrapper.Bench;

/// <summary>Target (2): the plainest YARP proxy — Kestrel plus YARP's direct forwarder with its default transforms,
/// every path to one destination, no logging. The bound for what a .NET proxy in front of the simulator can do.</summary>
public static class YarpPassThrough
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? listen = null;
        string? target = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--listen":
                    listen = args[i + 1];
                    break;
                case "--target":
                    target = args[i + 1];
                    break;
            }
        }

        if (listen is null || target is null)
        {
            throw new BenchException("yarp needs --listen http://127.0.0.1:PORT --target http://127.0.0.1:PORT");
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(listen);
        builder.Services.AddHttpForwarder();

        var app = builder.Build();
        app.MapForwarder("/{**catch-all}", target);
        await app.RunAsync();
        return 0;
    }
}
