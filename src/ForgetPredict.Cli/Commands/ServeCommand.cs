using System.CommandLine;
using ForgetPredict.Server;
using Microsoft.Extensions.Hosting;

namespace ForgetPredict.Cli.Commands;

/// <summary>
/// <c>forgetpredict serve --store DIR [--urls URL] [--api-key-file FILE]</c>: the forgetting query service (HTTP API and web
/// page) over a store of fitted models.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var store = new Option<string>("--store") { Description = "Store folder: NAME.fpm models (from 'fit') and optional NAME.examples.csv|.tsv|.parquet example metadata.", Required = true };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on (semicolon-separated). Loopback by default; bind other addresses only behind a key.", DefaultValueFactory = _ => ServerOptions.DefaultUrls };
        var keyFile = new Option<string?>("--api-key-file") { Description = "File whose first line is the API key; every request except /healthz must then send it (Authorization: Bearer KEY, X-Api-Key: KEY, or HTTP Basic with the key as the password, as a browser opening the page does)." };
        var maxBody = new Option<double>("--max-body-mb") { Description = "Largest JSON query body in MB (larger: 413).", DefaultValueFactory = _ => 1 };
        var maxUpload = new Option<double>("--max-upload-mb") { Description = "Largest matrix upload in MB (larger: 413).", DefaultValueFactory = _ => 64 };
        var maxMatrix = new Option<double?>("--max-matrix-mb") { Description = "Largest matrix in MB an upload may hold, whatever its format (an .npz's declared size: 413; the shape any matrix file declares or implies, from an .npy header, a long CSV's ids or a Parquet footer, or a wide CSV or JSON as it is read: the fit job fails); default 16 times --max-upload-mb." };
        var command = new Command("serve", "Serve the forgetting query API and web page over a store of fitted models.")
        {
            store, urls, keyFile, maxBody, maxUpload, maxMatrix,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            long maxBodyBytes, maxUploadBytes;
            long? maxMatrixBytes;
            try
            {
                // Option values the command line alone gets wrong: a usage error (exit 2), as a value that does not parse is.
                ServerOptions.CheckUrls(parse.GetRequiredValue(urls));
                maxBodyBytes = ServerOptions.Megabytes(parse.GetValue(maxBody), "--max-body-mb");
                maxUploadBytes = ServerOptions.Megabytes(parse.GetValue(maxUpload), "--max-upload-mb");
                maxMatrixBytes = parse.GetValue(maxMatrix) is { } matrixMb ? ServerOptions.Megabytes(matrixMb, "--max-matrix-mb") : null;
            }
            catch (ArgumentException e)
            {
                throw new CliException(Core.ExceptionText.Sentence(e), CliApp.UsageError);
            }

            var options = new ServerOptions
            {
                StoreDirectory = parse.GetRequiredValue(store),
                Urls = parse.GetRequiredValue(urls),
                ApiKey = parse.GetValue(keyFile) is { } path ? ServerOptions.ReadApiKey(path) : null,
                MaxJsonBodyBytes = maxBodyBytes,
                MaxUploadBytes = maxUploadBytes,
                MaxMatrixBytes = maxMatrixBytes,
            };
            await using var app = ServerApp.Build(options);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or UriFormatException)
            {
                // Address in use, a malformed --urls, a port without permission: one line, not a stack trace.
                throw new CliException($"cannot listen on {options.Urls}: {e.Message}");
            }

            await parse.Out().WriteLineAsync($"serving {Path.GetFullPath(options.StoreDirectory)} on {string.Join(", ", app.Urls)}{(options.ApiKey is null ? string.Empty : " (API key required)")}; Ctrl+C stops").ConfigureAwait(false);
            if (options.ApiKey is null && !ServerOptions.IsLoopbackOnly(options.Urls))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"warning: {options.Urls} is reachable from other machines and no --api-key-file is set: anyone who can connect can query and upload.").ConfigureAwait(false);
            }

            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return CliApp.Ok;
        });
        return command;
    }
}
