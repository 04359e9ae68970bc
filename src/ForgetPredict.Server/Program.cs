using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ForgetPredict.Server;

/// <summary>
/// Entry point of the standalone server (<c>ForgetPredict.Server --store DIR [--urls URL] [--api-key-file FILE]</c>); the
/// usual way to run it is <c>forgetpredict serve</c>. The ASP.NET test host also starts the service through here.
/// </summary>
public static class Program
{
    /// <summary>Runs the service until it is stopped.</summary>
    public static void Main(string[] args)
    {
        var builder = ServerApp.CreateBuilder(args);
        // Options are read when the services are first resolved, so hosts that add configuration late (the test host) are seen.
        ServerApp.AddServices(builder, services => ServerOptions.FromConfiguration(services.GetRequiredService<IConfiguration>()));
        var app = builder.Build();
        ServerApp.Configure(app);
        app.Run();
    }
}
